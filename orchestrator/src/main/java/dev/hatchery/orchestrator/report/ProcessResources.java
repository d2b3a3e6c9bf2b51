package dev.hatchery.orchestrator.report;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.OperatingSystemMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * What this JVM process uses right now, from the JVM and /proc/self/status. Each reader returns -1 where
 * the platform cannot tell: a missing metric should not cost the user the rest of a report.
 */
public final class ProcessResources
{
    private static final Path PROC_SELF_STATUS = Path.of("/proc/self/status");

    private ProcessResources()
    {
    }

    /** CPU time (user + system, all threads) of this process so far in seconds, or -1. */
    public static double processCpuSeconds()
    {
        final OperatingSystemMXBean os = ManagementFactory.getOperatingSystemMXBean();
        if (os instanceof com.sun.management.OperatingSystemMXBean hotspot)
        {
            final long nanos = hotspot.getProcessCpuTime();
            return nanos < 0 ? -1 : nanos / 1e9;
        }
        return -1;
    }

    /** This process's resident set now (VmRSS), or -1. */
    public static long currentRssBytes()
    {
        return procStatusBytes("VmRSS:");
    }

    /** This process's peak resident set over its whole life so far (VmHWM), or -1. */
    public static long peakRssBytes()
    {
        return procStatusBytes("VmHWM:");
    }

    /**
     * Resets the peak resident set (VmHWM) to the current one by writing 5 to /proc/self/clear_refs, so
     * a batch's peak is its own and not an earlier batch's. Returns false where the kernel refuses it.
     */
    public static boolean resetPeakRss()
    {
        try
        {
            Files.writeString(Path.of("/proc/self/clear_refs"), "5");
            return true;
        }
        catch (final IOException ex)
        {
            return false;
        }
    }

    /** Reads a "Key:   1234 kB" line of /proc/self/status. */
    private static long procStatusBytes(final String key)
    {
        final List<String> lines;
        try
        {
            lines = Files.readAllLines(PROC_SELF_STATUS);
        }
        catch (final IOException ex)
        {
            return -1;
        }
        for (final String line : lines)
        {
            if (line.startsWith(key))
            {
                return parseKilobytes(line.substring(key.length()));
            }
        }
        return -1;
    }

    /** Parses "  1234 kB" (the kernel writes kB here and means KiB) into bytes; -1 if it is not that. */
    static long parseKilobytes(final String value)
    {
        final String[] parts = value.trim().split("\\s+");
        if (parts.length != 2 || !"kB".equals(parts[1]))
        {
            return -1;
        }
        try
        {
            return Long.parseLong(parts[0]) * 1024;
        }
        catch (final NumberFormatException ex)
        {
            return -1;
        }
    }
}
