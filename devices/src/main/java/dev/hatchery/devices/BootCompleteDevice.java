package dev.hatchery.devices;

import java.util.Objects;
import java.util.function.LongConsumer;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

import dev.hatchery.config.GuestPhysicalMap;

/**
 * The seed's boot-complete signal: the guest's first one-byte write of 123 at offset 0 is the moment
 * boot time is measured to, so the timestamp is taken on the vCPU thread inside the exit, before
 * anything else runs. Any other write is counted and ignored; reads return 0.
 */
public final class BootCompleteDevice implements Device
{
    /** Its window in the guest-physical map; where the window starts is the VM spec's boot-device address. */
    public static final int LENGTH = GuestPhysicalMap.DEVICE_WINDOW_LENGTH;
    public static final int MAGIC = 123;

    private final LongConsumer onBootComplete;
    private volatile long bootCompleteNanos;
    private volatile boolean signalled;
    private volatile long ignoredWrites;

    /** @param onBootComplete called once, on the vCPU thread, with the {@link System#nanoTime()} of the signal. */
    public BootCompleteDevice(final LongConsumer onBootComplete)
    {
        this.onBootComplete = Objects.requireNonNull(onBootComplete, "onBootComplete");
    }

    @Override
    public String name()
    {
        return "boot-complete";
    }

    @Override
    public void read(final long offset, final MutableDirectBuffer data, final int index, final int length)
    {
        if (length > 0)
        {
            data.setMemory(index, length, (byte)0);
        }
    }

    /** Synchronized so that with several vCPUs the signal still fires exactly once. */
    @Override
    public synchronized void write(final long offset, final DirectBuffer data, final int index, final int length)
    {
        final long now = System.nanoTime();
        if (signalled || offset != 0 || length != 1 || (data.getByte(index) & 0xff) != MAGIC)
        {
            ignoredWrites = ignoredWrites + 1;
            return;
        }
        bootCompleteNanos = now;
        signalled = true;
        onBootComplete.accept(now);
    }

    public boolean signalled()
    {
        return signalled;
    }

    /** The {@link System#nanoTime()} of the signal, or 0 before it. */
    public long bootCompleteNanos()
    {
        return signalled ? bootCompleteNanos : 0;
    }

    public long ignoredWrites()
    {
        return ignoredWrites;
    }
}
