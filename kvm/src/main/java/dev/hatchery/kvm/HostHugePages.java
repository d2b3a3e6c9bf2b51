package dev.hatchery.kvm;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import dev.hatchery.config.HugePages;

/**
 * Whether this host can back guest RAM the way a spec's {@link HugePages} choice asks: reads sysfs and /proc,
 * so it lives here, next to the mapping that needs the pages, and not in the spec.
 */
public final class HostHugePages
{
    private static final Path THP_ENABLED = Path.of("/sys/kernel/mm/transparent_hugepage/enabled");
    private static final Path MEMINFO = Path.of("/proc/meminfo");

    private HostHugePages()
    {
    }

    /** Fails with what is missing and how to provide it when this host cannot back {@code bytes} as {@code hugePages} asks. */
    public static void checkAvailable(final HugePages hugePages, final long bytes)
    {
        switch (hugePages)
        {
            case OFF ->
            {
            }
            case TRANSPARENT ->
            {
                final String mode = read(THP_ENABLED);
                if (mode == null || mode.contains("[never]"))
                {
                    throw new IllegalStateException("transparent huge pages are unavailable: " + THP_ENABLED + "=" + (mode == null ? "missing" : mode.trim())
                        + "; enable them with: echo madvise > " + THP_ENABLED + ", or use huge-pages=off");
                }
            }
            case HUGETLBFS ->
            {
                final long free = meminfo("HugePages_Free");
                final long needed = (bytes + HugePages.HUGE_PAGE_SIZE - 1) / HugePages.HUGE_PAGE_SIZE;
                if (meminfo("Hugepagesize") != HugePages.HUGE_PAGE_SIZE / 1024 || free < needed)
                {
                    throw new IllegalStateException("hugetlbfs pages unavailable: HugePages_Free=" + free + " needed=" + needed
                        + " (2 MiB pages); reserve them with: echo " + needed + " > /proc/sys/vm/nr_hugepages, or use huge-pages=off");
                }
            }
            default -> throw new IllegalStateException("unknown huge page mode " + hugePages);
        }
    }

    private static String read(final Path path)
    {
        try
        {
            return Files.readString(path);
        }
        catch (final IOException ex)
        {
            return null;
        }
    }

    /** A /proc/meminfo field's number (kB for sizes, a count for HugePages_*), or -1 when absent. */
    private static long meminfo(final String field)
    {
        final String text = read(MEMINFO);
        if (text != null)
        {
            for (final String line : text.split("\n"))
            {
                if (line.startsWith(field + ":"))
                {
                    return Long.parseLong(line.substring(field.length() + 1).trim().split("\\s+")[0]);
                }
            }
        }
        return -1;
    }
}
