package dev.hatchery.devices;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;

import dev.hatchery.devices.BootMilestonePort.Milestone;

import org.agrona.ExpandableArrayBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class BootMilestonePortTest
{
    private record Signal(Milestone milestone, long nanos)
    {
    }

    private final List<Signal> signals = new ArrayList<>();
    private final BootMilestonePort device = new BootMilestonePort((milestone, nanos) -> signals.add(new Signal(milestone, nanos)));
    private final ExpandableArrayBuffer data = new ExpandableArrayBuffer(16);

    @Test
    void shouldKeepTheCodesTheGuestsWrite()
    {
        // guest/linux/milestones.patch, guest/flat/flat.asm and guest/init/init.c write these bytes.
        assertEquals(0x40, Milestone.KERNEL_ENTRY.code());
        assertEquals(0x60, Milestone.INIT_STARTED.code());
        assertEquals(0x80, BootMilestonePort.PORT);
    }

    @ParameterizedTest
    @CsvSource({"0x40, KERNEL_ENTRY", "0x60, INIT_STARTED"})
    void shouldSignalTheMilestoneWithTheTimeOfTheWriteWhenItsCodeIsWritten(final String code, final Milestone milestone)
    {
        final long before = System.nanoTime();

        write(Integer.decode(code));

        final long after = System.nanoTime();
        assertEquals(1, signals.size());
        assertEquals(milestone, signals.get(0).milestone());
        assertEquals(signals.get(0).nanos(), device.nanos(milestone));
        assertTrue(signals.get(0).nanos() - before >= 0, "timestamp before the write");
        assertTrue(after - signals.get(0).nanos() >= 0, "timestamp after the write");
        assertEquals(0, device.ignoredWrites());
    }

    @Test
    void shouldKeepTheFirstWriteOfEachMilestoneWhenACodeIsWrittenAgain()
    {
        write(0x40);
        final long first = device.nanos(Milestone.KERNEL_ENTRY);

        write(0x40);
        write(0x60);
        write(0x60);

        assertEquals(List.of(Milestone.KERNEL_ENTRY, Milestone.INIT_STARTED), signals.stream().map(Signal::milestone).toList());
        assertEquals(first, device.nanos(Milestone.KERNEL_ENTRY));
        assertEquals(2, device.ignoredWrites());
    }

    @Test
    void shouldSignalInitStartedEvenWhenKernelEntryNeverCame()
    {
        write(0x60);

        assertEquals(List.of(Milestone.INIT_STARTED), signals.stream().map(Signal::milestone).toList());
        assertEquals(0, device.nanos(Milestone.KERNEL_ENTRY));
    }

    @ParameterizedTest
    @ValueSource(ints = {0x00, 0x3f, 0x41, 0x5f, 0x61, 0x7b, 0xff})
    void shouldCountAndIgnoreACodeNoGuestWrites(final int code)
    {
        write(code);

        assertTrue(signals.isEmpty());
        assertEquals(1, device.ignoredWrites());
        assertEquals(code, device.lastIgnoredCode());
        for (final Milestone milestone : Milestone.values())
        {
            assertEquals(0, device.nanos(milestone));
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 2, 4})
    void shouldIgnoreAnAccessThatIsNotOneByte(final int length)
    {
        data.putInt(0, 0x40);

        device.write(0, data, 0, length);

        assertTrue(signals.isEmpty());
        assertEquals(1, device.ignoredWrites());
        assertEquals(-1, device.lastIgnoredCode());
    }

    @Test
    void shouldReadAllOnesLikeAPortNothingDrives()
    {
        data.setMemory(0, 8, (byte)0x11);

        device.read(0, data, 2, 2);

        assertEquals(0xffff, data.getShort(2) & 0xffff);
        assertEquals(0x11, data.getByte(1));
        assertEquals(0x11, data.getByte(4));
    }

    @Test
    void shouldFindNoMilestoneForAnUnknownCode()
    {
        assertEquals(Milestone.KERNEL_ENTRY, Milestone.ofCode(0x40));
        assertNull(Milestone.ofCode(0x7b));
    }

    @Test
    void shouldSignalThroughThePortBusAtPort0x80()
    {
        final Bus bus = Bus.portIo();
        bus.register(BootMilestonePort.PORT, BootMilestonePort.LENGTH, device);
        data.putByte(0, (byte)0x40);

        assertTrue(bus.write(0x80, data, 0, 1));

        assertEquals(List.of(Milestone.KERNEL_ENTRY), signals.stream().map(Signal::milestone).toList());
    }

    private void write(final int code)
    {
        data.putByte(0, (byte)code);
        device.write(0, data, 0, 1);
    }
}
