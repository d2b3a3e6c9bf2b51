package dev.hatchery.vm;

/**
 * How a {@link VmHost} keeps work off the spawn path.
 *
 * @param shellDepth        shells kept ready per shape (RAM size, backing, kernel); 0 turns shells off
 * @param shellShapes       shapes kept at once; a new one drops the least recently asked for, with its shells, once
 *                          that one has gone unasked for {@code shellShapeIdle}
 * @param shellFillThreads  threads that make shells in the background (making one mostly waits for KVM)
 * @param spareVcpuThreads  parked vCPU threads kept ready, so that a spawn never starts a thread
 * @param teardownThreads   threads that release ended VMs (destroying a VM is the slow part), so that many ending
 *                          VMs queue there instead of taking CPU from spawns
 * @param recycleShells     reset the shell of a VM that ended cleanly and give it back to the pool instead of destroying
 *                          it (then new shells are made only when a shape falls below half the depth); shells on only
 * @param shellShapeIdle    how long a kept shape must have gone unasked for before a new shape takes its place (until
 *                          then the new shape's VMs are built directly, without shells)
 */
public record HostSettings(int shellDepth, int shellShapes, int shellFillThreads, int spareVcpuThreads, int teardownThreads,
                           boolean recycleShells, java.time.Duration shellShapeIdle)
{
    /** What application.conf ships with for {@code hatchery.shells.shape-idle}. */
    public static final java.time.Duration DEFAULT_SHAPE_IDLE = java.time.Duration.ofSeconds(10);

    public HostSettings(final int shellDepth, final int shellShapes, final int shellFillThreads, final int spareVcpuThreads,
        final int teardownThreads, final boolean recycleShells)
    {
        this(shellDepth, shellShapes, shellFillThreads, spareVcpuThreads, teardownThreads, recycleShells, DEFAULT_SHAPE_IDLE);
    }

    public HostSettings
    {
        if (shellShapeIdle == null || shellShapeIdle.isNegative())
        {
            throw new IllegalArgumentException("hatchery.shells.shape-idle must be 0 or more: shape-idle=" + shellShapeIdle);
        }
        if (shellDepth < 0)
        {
            throw new IllegalArgumentException("hatchery.shells.depth must be 0 (off) or more: depth=" + shellDepth);
        }
        if (shellShapes < 1)
        {
            throw new IllegalArgumentException("hatchery.shells.shapes must be at least 1: shapes=" + shellShapes);
        }
        if (shellFillThreads < 1)
        {
            throw new IllegalArgumentException("hatchery.shells.fill-threads must be at least 1: threads=" + shellFillThreads);
        }
        if (spareVcpuThreads < 0)
        {
            throw new IllegalArgumentException("hatchery.vm.spare-vcpu-threads must be 0 or more: spares=" + spareVcpuThreads);
        }
        if (teardownThreads < 1)
        {
            throw new IllegalArgumentException("hatchery.vm.teardown-threads must be at least 1: threads=" + teardownThreads);
        }
    }

    /** The pool's refill mark: with recycling, new shells only once fewer than half the depth are ready (0 with shells off). */
    int shellRefillBelow()
    {
        return recycleShells && shellDepth > 0 ? Math.max(1, shellDepth / 2) : shellDepth;
    }

    /**
     * Clone templates (booted VMs captured for cloning) kept per host when nobody holds them; one per clone spec in
     * use, each holding what its guest wrote by its ready point (a few MiB for Hatchery's guest).
     */
    int maxCloneTemplates()
    {
        return 4;
    }

    /** What application.conf ships with. */
    public static HostSettings defaults()
    {
        return new HostSettings(16, 4, 2, 16, 2, true);
    }
}
