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

    @Test
    void shouldDropOneEntryAndKeepTheOthersWithTheirValuesInOrder()
    {
        final Msrs msrs = new Msrs(3).add(0x10, 7).add(0x174, 0x10).add(0xc0000080, 0x500);

        final Msrs rest = msrs.without(1);

        assertEquals(2, rest.count());
        assertEquals(0x10, rest.index(0));
        assertEquals(7, rest.value(0));
        assertEquals(0xc0000080, rest.index(1));
        assertEquals(0x500, rest.value(1));
        assertEquals(3, msrs.count(), "the original list is unchanged");
    }
}
