package dev.hatchery.kvm;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

import dev.hatchery.config.HugePages;

class HostHugePagesTest
{
    @Test
    void shouldAlwaysAcceptSmallPages()
    {
        HostHugePages.checkAvailable(HugePages.OFF, 1L << 40);
    }

    @Test
    void shouldSayHowToReserveHugetlbfsPagesWhenThePoolIsTooSmall()
    {
        // No host reserves 2^40 bytes of huge pages, so this always reports what is missing and the fix.
        final IllegalStateException ex = assertThrows(IllegalStateException.class, () -> HostHugePages.checkAvailable(HugePages.HUGETLBFS, 1L << 40));

        assertTrue(ex.getMessage().startsWith("hugetlbfs pages unavailable: HugePages_Free="), ex.getMessage());
        assertTrue(ex.getMessage().endsWith(" needed=524288 (2 MiB pages); reserve them with: echo 524288 > /proc/sys/vm/nr_hugepages,"
            + " or use huge-pages=off"), ex.getMessage());
    }
}
