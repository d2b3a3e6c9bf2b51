package dev.hatchery.config;

/**
 * How a guest's per-VM RAM is backed; the shared template itself always uses 4 KiB pages. Only the choice:
 * whether this host can honour it is the kvm module's question (it reads /proc and sysfs).
 */
public enum HugePages
{
    /** 4 KiB pages. */
    OFF,
    /** Transparent huge pages requested with madvise(MADV_HUGEPAGE); needs THP in "always" or "madvise" mode. */
    TRANSPARENT,
    /** 2 MiB pages from the hugetlbfs pool (MAP_HUGETLB); needs pages reserved in /proc/sys/vm/nr_hugepages. */
    HUGETLBFS;

    /** The size of one hugetlbfs page: guest RAM backed by them is a multiple of it. */
    public static final long HUGE_PAGE_SIZE = 2L << 20;
}
