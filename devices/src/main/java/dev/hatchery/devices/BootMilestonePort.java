package dev.hatchery.devices;

import java.util.Objects;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

/**
 * Boot milestones the guest reports on the debug port 0x80, one byte per milestone, so a VM's timeline can
 * split VMM, kernel and init time. Port I/O reaches the VMM from the guest's very first instruction (MMIO at
 * the boot-complete device needs page tables that map it; early kernel code has none), and port 0x80 is the
 * PC's POST-code port, which cloud-hypervisor uses the same way: codes 0x40-0x5f are the kernel's, 0x60-0x7f
 * userspace's. The timestamp is taken on the vCPU thread inside the exit. The first write of each known code
 * wins; any other write (an unknown code, a repeat, a wider access) is counted and ignored. Reads return 0xff,
 * as from a port nothing drives.
 */
public final class BootMilestonePort implements Device
{
    public static final int PORT = 0x80;
    public static final int LENGTH = 1;

    /** The milestones the bundled guests report, with their codes. */
    public enum Milestone
    {
        /** The guest kernel's first instruction (startup_64 in the bundled Linux; the flat guest's entry). */
        KERNEL_ENTRY(0x40),
        /** The guest's /init began (its first action, before it opens the console). */
        INIT_STARTED(0x60);

        private final int code;

        Milestone(final int code)
        {
            this.code = code;
        }

        /** The byte the guest writes to {@link #PORT}. */
        public int code()
        {
            return code;
        }

        /** The milestone a code stands for, or null for a code no bundled guest writes. */
        public static Milestone ofCode(final int code)
        {
            for (final Milestone milestone : values())
            {
                if (milestone.code == code)
                {
                    return milestone;
                }
            }
            return null;
        }
    }

    /** Told of each milestone once, on the vCPU thread, with the {@link System#nanoTime()} of the write. */
    @FunctionalInterface
    public interface Listener
    {
        void onMilestone(Milestone milestone, long nanos);
    }

    private static final byte NOTHING_DRIVES = (byte)0xff;

    private final Listener listener;
    private final long[] nanos = new long[Milestone.values().length];
    private volatile long ignoredWrites;
    private volatile int lastIgnoredCode = -1;

    public BootMilestonePort(final Listener listener)
    {
        this.listener = Objects.requireNonNull(listener, "listener");
    }

    @Override
    public String name()
    {
        return "boot-milestone";
    }

    @Override
    public void read(final long offset, final MutableDirectBuffer data, final int index, final int length)
    {
        if (length > 0)
        {
            data.setMemory(index, length, NOTHING_DRIVES);
        }
    }

    /** Synchronized so that with several vCPUs each milestone still fires exactly once. */
    @Override
    public synchronized void write(final long offset, final DirectBuffer data, final int index, final int length)
    {
        final long now = System.nanoTime();
        final int code = length == 1 ? data.getByte(index) & 0xff : -1;
        final Milestone milestone = offset == 0 ? Milestone.ofCode(code) : null;
        if (milestone == null || nanos[milestone.ordinal()] != 0)
        {
            ignoredWrites = ignoredWrites + 1;
            lastIgnoredCode = code;
            return;
        }
        nanos[milestone.ordinal()] = now;
        listener.onMilestone(milestone, now);
    }

    /** The {@link System#nanoTime()} of the milestone's first write, or 0 before it. */
    public synchronized long nanos(final Milestone milestone)
    {
        return nanos[milestone.ordinal()];
    }

    /** Writes that were no milestone's first: unknown codes, repeats, accesses wider than a byte. */
    public long ignoredWrites()
    {
        return ignoredWrites;
    }

    /** The byte of the latest ignored write (-1 for none, or when it was wider than a byte): for diagnostics. */
    public int lastIgnoredCode()
    {
        return lastIgnoredCode;
    }
}
