package dev.hatchery.kvm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class MsrsTest
{
    @Test
    void shouldReportTheMsrNumberOfEachEntryInOrder()
    {
        final Msrs msrs = new Msrs(2).add(0x174, 0x10).add(0xc0000080, 0x500);

        assertEquals(2, msrs.count());
        assertEquals(0x174, msrs.index(0));
        assertEquals(0xc0000080, msrs.index(1));
    }

    @Test
    void shouldRefuseAnEntryThatWasNotAdded()
    {
        final Msrs msrs = new Msrs(2).add(0x174, 0x10);

        final IndexOutOfBoundsException ex = assertThrows(IndexOutOfBoundsException.class, () -> msrs.index(1));

        assertEquals("MSR entry out of range: entry=1 count=1", ex.getMessage());
    }
}
