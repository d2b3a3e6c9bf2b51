package dev.hatchery.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class BootLayoutTest
{
    @ParameterizedTest
    @CsvSource({"2097152, 2097152", "134217728, 134217728", "3489660928, 3489660928", "3489660929, 3489660928",
        "8589934592, 3489660928"})
    void shouldCapLowRamAtTheMmioGapWhenRamIsLarger(final long ramSize, final long lowRamEnd)
    {
        assertEquals(lowRamEnd, BootLayout.lowRamEnd(ramSize));
    }
}
