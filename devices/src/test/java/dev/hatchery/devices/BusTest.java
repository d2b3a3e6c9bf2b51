package dev.hatchery.devices;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import dev.hatchery.config.GuestPhysicalMap;

class BusTest
{
    private final UnsafeBuffer data = new UnsafeBuffer(new byte[16]);

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "0x1000 | 0x1000 | mmio bus: range [0x1000, 0x2000) for new overlaps [0x1000, 0x2000) of existing",
        "0x800  | 0x900  | mmio bus: range [0x800, 0x1100) for new overlaps [0x1000, 0x2000) of existing",
        "0x1fff | 0x1    | mmio bus: range [0x1fff, 0x2000) for new overlaps [0x1000, 0x2000) of existing",
        "0x1800 | 0x100  | mmio bus: range [0x1800, 0x1900) for new overlaps [0x1000, 0x2000) of existing",
        "0x0    | 0x10000| mmio bus: range [0x0, 0x10000) for new overlaps [0x1000, 0x2000) of existing",
        "0xfff  | 0x2    | mmio bus: range [0xfff, 0x1001) for new overlaps [0x1000, 0x2000) of existing",
        "0x1fff | 0x2    | mmio bus: range [0x1fff, 0x2001) for new overlaps [0x1000, 0x2000) of existing"})
    void shouldRejectRangeWhenItOverlapsARegisteredOne(final String base, final String length, final String message)
    {
        final Bus bus = Bus.mmio();
        bus.register(0x1000, 0x1000, new RecordingDevice("existing", 0));

        final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class,
            () -> bus.register(Long.decode(base), Long.decode(length), new RecordingDevice("new", 0)));

        assertEquals(message, ex.getMessage());
    }

    @ParameterizedTest
    @CsvSource({"0x0, 0x1000", "0x2000, 0x10", "0xfff, 0x1", "0x2000, 0x7fffffffffffd000"})
    void shouldAcceptRangeWhenItIsAdjacentToARegisteredOne(final String base, final String length)
    {
        final Bus bus = Bus.mmio();
        bus.register(0x1000, 0x1000, new RecordingDevice("existing", 0));

        bus.register(Long.decode(base), Long.decode(length), new RecordingDevice("new", 0x42));

        assertTrue(bus.read(Long.decode(base), data, 0, 1));
        assertEquals(0x42, data.getByte(0));
    }

    @Test
    void shouldNameTheNewAndTheExistingDeviceWhenTheExampleBootDeviceOverlaps()
    {
        final Bus bus = Bus.mmio();
        bus.register(0xd0000000L, 0x100, new RecordingDevice("other", 0));

        final BootCompleteDevice bootComplete = new BootCompleteDevice(nanos -> { });

        final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class,
            () -> bus.register(GuestPhysicalMap.DEFAULT_BOOT_DEVICE_ADDRESS, BootCompleteDevice.LENGTH, bootComplete));

        assertEquals("mmio bus: range [0xd0000000, 0xd0001000) for boot-complete overlaps [0xd0000000, 0xd0000100) of other",
            ex.getMessage());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "0x3f8              | 0  | pio bus: invalid range for serial: base=0x3f8 length=0",
        "0x3f8              | -8 | pio bus: invalid range for serial: base=0x3f8 length=-8",
        "-16                | 8  | pio bus: invalid range for serial: base=-0x10 length=8",
        "0x7ffffffffffffffc | 8  | pio bus: invalid range for serial: base=0x7ffffffffffffffc length=8"})
    void shouldRejectRangeWhenItIsEmptyNegativeOrOverflows(final String base, final long length, final String message)
    {
        final Bus bus = Bus.portIo();

        final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class,
            () -> bus.register(Long.decode(base), length, new RecordingDevice("serial", 0)));

        assertEquals(message, ex.getMessage());
    }

    @Test
    void shouldReadAllOnesWhenNoPortIsClaimed()
    {
        final Bus bus = Bus.portIo();
        data.setMemory(0, 16, (byte)0x11);

        assertFalse(bus.read(0x80, data, 2, 4));

        assertEquals(0xffffffff, data.getInt(2));
        assertEquals(0x11, data.getByte(1));
        assertEquals(0x11, data.getByte(6));
    }

    @Test
    void shouldReadZeroWhenNoMmioAddressIsClaimed()
    {
        final Bus bus = Bus.mmio();
        data.setMemory(0, 16, (byte)0x11);

        assertFalse(bus.read(0xfee00000L, data, 0, 8));

        assertEquals(0L, data.getLong(0));
        assertEquals(0x11, data.getByte(8));
    }

    @Test
    void shouldUseTheGivenUnclaimedValueWhenBusIsCustom()
    {
        final Bus bus = new Bus("test", (byte)0x5a);

        assertFalse(bus.read(0, data, 0, 2));

        assertEquals(0x5a5a, data.getShort(0));
    }

    @Test
    void shouldPassOffsetRelativeToRangeStartWhenDispatching()
    {
        final Bus bus = Bus.portIo();
        final RecordingDevice serial = new RecordingDevice("serial", 0x60);
        final RecordingDevice keyboard = new RecordingDevice("i8042", 0x1c);
        bus.register(0x3f8, 8, serial);
        bus.register(0x60, 5, keyboard);

        assertTrue(bus.read(0x3fd, data, 0, 1));
        assertEquals(5, serial.lastOffset);
        assertEquals(1, serial.lastLength);
        assertEquals(0x60, data.getByte(0));

        data.putByte(3, (byte)0xfe);
        assertTrue(bus.write(0x64, data, 3, 1));
        assertEquals(4, keyboard.lastOffset);
        assertEquals(0xfe, keyboard.lastWrittenByte);

        assertTrue(bus.read(0x60, data, 0, 1));
        assertEquals(0, keyboard.lastOffset);
        assertEquals(0x1c, data.getByte(0));
    }

    @ParameterizedTest
    @CsvSource({"0x3f7, 1", "0x400, 1", "0x5f, 1", "0x65, 1", "0x3ff, 2", "0x3fc, 8", "0x63, 4", "-1, 1", "0x3f8, 0"})
    void shouldTreatAccessAsUnclaimedWhenItIsOutsideOrRunsPastTheEndOfARange(final String address, final int length)
    {
        final Bus bus = Bus.portIo();
        final RecordingDevice serial = new RecordingDevice("serial", 0);
        final RecordingDevice keyboard = new RecordingDevice("i8042", 0);
        bus.register(0x3f8, 8, serial);
        bus.register(0x60, 5, keyboard);

        assertFalse(bus.read(Long.decode(address), data, 0, length));
        assertFalse(bus.write(Long.decode(address), data, 0, length));

        assertEquals(0, serial.reads + serial.writes + keyboard.reads + keyboard.writes);
        for (int i = 0; i < length; i++)
        {
            assertEquals((byte)0xff, data.getByte(i));
        }
    }

    @Test
    void shouldDispatchToEveryDeviceWhenManyAreRegisteredOutOfOrder()
    {
        final Bus bus = Bus.mmio();
        for (int i = 9; i >= 0; i--)
        {
            bus.register(0xd0000000L + i * 0x1000L, 0x1000, new RecordingDevice("virtio" + i, i));
        }

        for (int i = 0; i < 10; i++)
        {
            assertTrue(bus.read(0xd0000000L + i * 0x1000L + 0xffc, data, 0, 4));
            assertEquals(i * 0x01010101, data.getInt(0));
        }
        assertFalse(bus.read(0xd000a000L, data, 0, 4));
    }
}
