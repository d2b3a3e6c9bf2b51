package dev.hatchery.orchestrator;

import com.typesafe.config.Config;

/**
 * The host memory the service may admit: guest RAM of the VMs it runs, plus an overhead per VM (its vCPU thread,
 * KVM structures, device buffers), plus the kernel templates it caches. Sized once at start from the host
 * ({@link HostMemory}: the smaller of MemAvailable and the memory cgroup's room, less a margin for the JVM and the
 * rest of the host), or set to a size. What would pass it is refused as busy (503), and a batch is throttled to what
 * fits, so that guests touching their RAM never make the kernel's OOM killer pick this process.
 *
 * @param bytes              the budget
 * @param perVmOverheadBytes counted for each VM besides its guest RAM
 * @param source             how it was sized, for messages and the log
 */
record MemoryBudget(long bytes, long perVmOverheadBytes, String source)
{
    /** No budget beyond the fixed limits: for unit tests of other rules. */
    static final MemoryBudget UNLIMITED = new MemoryBudget(Long.MAX_VALUE, 0, "unlimited");

    MemoryBudget
    {
        if (bytes < 1)
        {
            throw new IllegalArgumentException("host memory budget is empty: " + source + "; free memory, raise the cgroup limit, lower"
                + " hatchery.limits.memory-margin, or set hatchery.limits.memory-budget to a size");
        }
        if (perVmOverheadBytes < 0)
        {
            throw new IllegalArgumentException("invalid hatchery.limits.per-vm-overhead=" + perVmOverheadBytes + ": must not be negative");
        }
    }

    /** Reads hatchery.limits.memory-budget ("auto" or a size), memory-margin (a fraction of the host's room) and per-vm-overhead. */
    static MemoryBudget fromConfig(final Config config, final HostMemory host)
    {
        final long overhead = config.getBytes("hatchery.limits.per-vm-overhead");
        final String setting = config.getString("hatchery.limits.memory-budget");
        if (!setting.equals("auto"))
        {
            return new MemoryBudget(config.getBytes("hatchery.limits.memory-budget"), overhead, "hatchery.limits.memory-budget=" + setting);
        }
        final double margin = config.getDouble("hatchery.limits.memory-margin");
        if (margin < 0 || margin >= 1)
        {
            throw new IllegalArgumentException("invalid hatchery.limits.memory-margin=" + margin + ": a fraction from 0 to below 1 (e.g. 0.1)");
        }
        return new MemoryBudget((long)(host.usableBytes() * (1 - margin)), overhead, host.describe() + " at start, less "
            + Math.round(margin * 100) + "% margin");
    }

    long mib()
    {
        return bytes >> 20;
    }
}
