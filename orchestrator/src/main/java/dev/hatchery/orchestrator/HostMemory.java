package dev.hatchery.orchestrator;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * What the host lets this process use, read once: MemAvailable from /proc/meminfo, and the limit and usage of the
 * process's memory cgroup (v2 {@code memory.max}/{@code memory.current}, or v1 {@code memory.limit_in_bytes}/
 * {@code memory.usage_in_bytes}). Guest RAM is mapped MAP_NORESERVE, so the kernel admits any amount and only
 * refuses (with the OOM killer) when guests touch it: the service must do the counting itself, against this.
 */
record HostMemory(long memAvailableBytes, long cgroupLimitBytes, long cgroupUsageBytes)
{
    static final long NO_LIMIT = Long.MAX_VALUE;
    /** cgroup v1 writes "no limit" as a page-rounded LONG_MAX; anything this large is no limit. */
    private static final long V1_NO_LIMIT_FLOOR = 1L << 60;

    static HostMemory probe()
    {
        return probe(Path.of("/proc/meminfo"), Path.of("/proc/self/cgroup"), Path.of("/sys/fs/cgroup"));
    }

    static HostMemory probe(final Path meminfo, final Path selfCgroup, final Path cgroupRoot)
    {
        final long available = memAvailable(meminfo);
        long limit = NO_LIMIT;
        long usage = 0;
        for (final String line : lines(selfCgroup))
        {
            // "0::/path" (v2) or "N:memory:/path" (v1, possibly beside other controllers: "N:memory,other:/path").
            final String[] parts = line.split(":", 3);
            if (parts.length < 3)
            {
                continue;
            }
            final Path dir;
            final String limitFile;
            final String usageFile;
            if (parts[1].isEmpty())
            {
                dir = cgroupRoot.resolve(parts[2].substring(1));
                limitFile = "memory.max";
                usageFile = "memory.current";
            }
            else if (List.of(parts[1].split(",")).contains("memory"))
            {
                dir = cgroupRoot.resolve("memory").resolve(parts[2].substring(1));
                limitFile = "memory.limit_in_bytes";
                usageFile = "memory.usage_in_bytes";
            }
            else
            {
                continue;
            }
            final long found = number(dir.resolve(limitFile));
            if (found > 0 && found < V1_NO_LIMIT_FLOOR && found < limit)
            {
                limit = found;
                usage = Math.max(0, number(dir.resolve(usageFile)));
            }
        }
        return new HostMemory(available, limit, usage);
    }

    /** The smaller of MemAvailable and what the cgroup has left. */
    long usableBytes()
    {
        return cgroupLimitBytes == NO_LIMIT ? memAvailableBytes : Math.min(memAvailableBytes, Math.max(0, cgroupLimitBytes - cgroupUsageBytes));
    }

    String describe()
    {
        return "MemAvailable " + (memAvailableBytes >> 20) + " MiB, cgroup " + (cgroupLimitBytes == NO_LIMIT ? "without limit"
            : "limit " + (cgroupLimitBytes >> 20) + " MiB using " + (cgroupUsageBytes >> 20) + " MiB");
    }

    private static long memAvailable(final Path meminfo)
    {
        for (final String line : lines(meminfo))
        {
            if (line.startsWith("MemAvailable:"))
            {
                final String[] fields = line.trim().split("\\s+");
                return Long.parseLong(fields[1]) * 1024;
            }
        }
        throw new IllegalStateException("no MemAvailable in " + meminfo + ": cannot size the host memory budget; set"
            + " hatchery.limits.memory-budget to a size (e.g. 8 GiB) instead of auto");
    }

    /** The file's number, "max" as {@link #NO_LIMIT}, -1 if unreadable. */
    private static long number(final Path file)
    {
        try
        {
            final String text = Files.readString(file).trim();
            return text.equals("max") ? NO_LIMIT : Long.parseLong(text);
        }
        catch (final IOException | NumberFormatException ex)
        {
            return -1;
        }
    }

    private static List<String> lines(final Path file)
    {
        try
        {
            return Files.readAllLines(file);
        }
        catch (final IOException ex)
        {
            return List.of();
        }
    }
}
