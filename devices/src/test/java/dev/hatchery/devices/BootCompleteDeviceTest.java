package dev.hatchery.devices;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;

import org.agrona.ExpandableArrayBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class BootCompleteDeviceTest
{
    private final List<Long> signals = new ArrayList<>();
    private final BootCompleteDevice device = new BootCompleteDevice(signals::add);
    private final ExpandableArrayBuffer data = new ExpandableArrayBuffer(16);

    @ParameterizedTest
    @CsvSource({"0, 122, 1", "0, 0, 1", "0, 255, 1", "1, 123, 1", "0xfff, 123, 1", "0, 123, 2", "0, 123, 4", "0, 123, 0"})
    void shouldIgnoreWriteWhenItIsNotOneByteOf123AtOffsetZero(final String offset, final int value, final int length)
    {
        data.setMemory(0, 8, (byte)0);
        data.putByte(0, (byte)value);

        device.write(Long.decode(offset), data, 0, length);

        assertFalse(device.signalled());
        assertEquals(0, device.bootCompleteNanos());
        assertEquals(1, device.ignoredWrites());
        assertTrue(signals.isEmpty());
    }

    @Test
    void shouldSignalOnceWithTimestampWhenFirstMagicByteIsWritten()
    {
        final long before = System.nanoTime();
        data.putByte(3, (byte)BootCompleteDevice.MAGIC);

        device.write(0, data, 3, 1);
        final long after = System.nanoTime();
        device.write(0, data, 3, 1);

        assertTrue(device.signalled());
        assertEquals(List.of(device.bootCompleteNanos()), signals);
        assertTrue(device.bootCompleteNanos() - before >= 0, "timestamp before the write");
        assertTrue(after - device.bootCompleteNanos() >= 0, "timestamp after the write");
        assertEquals(1, device.ignoredWrites());
    }

    @Test
    void shouldSignalWhenMagicFollowsIgnoredWrites()
    {
        write(0, 1);
        write(8, BootCompleteDevice.MAGIC);

        write(0, BootCompleteDevice.MAGIC);

        assertTrue(device.signalled());
        assertEquals(1, signals.size());
        assertEquals(2, device.ignoredWrites());
    }

    @Test
    void shouldReadZeroWhenAnyOffsetIsRead()
    {
        data.setMemory(0, 16, (byte)0x77);

        device.read(0x10, data, 4, 8);

        assertEquals(0L, data.getLong(4));
        assertEquals(0x77, data.getByte(3));
        assertEquals(0x77, data.getByte(12));
    }

    @Test
    void shouldMakeSignalVisibleWhenReadFromAnotherThread() throws InterruptedException
    {
        final Thread vcpu = new Thread(() -> write(0, BootCompleteDevice.MAGIC));
        vcpu.start();
        vcpu.join();

        assertTrue(device.signalled());
        assertEquals(signals.get(0).longValue(), device.bootCompleteNanos());
    }

    private void write(final long offset, final int value)
    {
        data.putByte(0, (byte)value);
        device.write(offset, data, 0, 1);
    }
}
