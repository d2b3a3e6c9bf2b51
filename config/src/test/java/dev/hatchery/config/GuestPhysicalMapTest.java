package dev.hatchery.config;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class GuestPhysicalMapTest
{
    @Test
    void shouldPlaceVirtioWindowsInThePagesAfterTheBootDevice()
    {
        assertEquals(0xd0001000L, GuestPhysicalMap.virtioWindow(GuestPhysicalMap.DEFAULT_BOOT_DEVICE_ADDRESS, 0));
        assertEquals(0xd0003000L, GuestPhysicalMap.virtioWindow(GuestPhysicalMap.DEFAULT_BOOT_DEVICE_ADDRESS, 2));
        assertEquals(0xfffff000L, GuestPhysicalMap.virtioWindow(0xffffe000L, 0));
    }

    @Test
    void shouldNumberVirtioIrqsFromFiveUpward()
    {
        assertEquals(5, GuestPhysicalMap.virtioIrq(0));
        assertEquals(6, GuestPhysicalMap.virtioIrq(1));
    }

    @ParameterizedTest
    @CsvSource({"2097152, 2097152", "134217728, 134217728", "3489660928, 3489660928", "3489660929, 3489660928",
        "8589934592, 3489660928"})
    void shouldCapLowRamAtTheMmioGapWhenRamIsLarger(final long ramSize, final long lowRamEnd)
    {
        assertEquals(lowRamEnd, GuestPhysicalMap.lowRamEnd(ramSize));
    }
}
