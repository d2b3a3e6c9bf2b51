package dev.hatchery.orchestrator.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ProcessResourcesTest
{
    @ParameterizedTest(name = "''{0}'' -> {1}")
    @CsvSource(delimiter = '|', value = {
        "'\t  123456 kB' | 126418944",
        "'0 kB'          | 0",
        "'12 MB'         | -1",
        "'lots kB'       | -1",
        "''              | -1",
    })
    void shouldParseProcStatusSizesWhenTheyAreInKilobytes(final String value, final long bytes)
    {
        assertEquals(bytes, ProcessResources.parseKilobytes(value));
    }

    @Test
    @EnabledOnOs(OS.LINUX)
    void shouldReadThisProcessWhenOnLinux()
    {
        final long current = ProcessResources.currentRssBytes();
        final long peak = ProcessResources.peakRssBytes();

        assertTrue(current > 0, "current=" + current);
        assertTrue(peak >= current, "peak=" + peak + " current=" + current);
        assertTrue(ProcessResources.processCpuSeconds() > 0, "cpu=" + ProcessResources.processCpuSeconds());
    }

    @Test
    @EnabledOnOs(OS.LINUX)
    void shouldKeepThePeakAtOrAboveTheCurrentRssWhenReset()
    {
        // Only the invariant is exact: the JVM keeps allocating, so the peak may rise again between reads.
        assertTrue(ProcessResources.resetPeakRss(), "clear_refs refused");

        final long peak = ProcessResources.peakRssBytes();
        final long current = ProcessResources.currentRssBytes();
        assertTrue(peak > 0 && peak >= current - 1024 * 1024, "peak=" + peak + " current=" + current);
    }

    @Test
    void shouldMeasureCpuSinceTheStartWhenSampling()
    {
        final ResourceUsage usage = ResourceUsage.sample(0.0, 1234, 4096);

        assertTrue(usage.hostCpuSeconds() > 0, "cpu=" + usage.hostCpuSeconds());
        assertEquals(1234, usage.baselineRssBytes());
        assertEquals(4096, usage.guestPrivateBytesPerVm());
        assertEquals(-1, ResourceUsage.sample(-1, 1234, -1).hostCpuSeconds());
    }
}
