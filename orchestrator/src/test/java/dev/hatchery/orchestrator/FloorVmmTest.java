package dev.hatchery.orchestrator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class FloorVmmTest
{
    @ParameterizedTest(name = "{0} VMs over {1} processes: process {2} takes {3}")
    @CsvSource({"10,1,0,10", "10,3,0,4", "10,3,1,3", "10,3,2,3", "16,16,15,1", "17,16,0,2", "17,16,1,1"})
    void shouldSplitTheCountBetweenProcessesWithTheFirstTakingTheRemainder(final int count, final int processes, final int index,
        final int share)
    {
        assertEquals(share, FloorVmm.share(count, processes, index));
    }

    @Test
    void shouldSayHowToBuildTheCVmmWhenTheLauncherDidNotSetItsPath()
    {
        final IllegalStateException ex = assertThrows(IllegalStateException.class, () -> FloorVmm.locate(Map.of()));

        assertEquals("the C floor VMM is not built: HATCHERY_FLOOR_VMM=null; run ./hatchery bench floor (or ./hatchery test), which compiles"
            + " bench/c/floor-vmm.c with gcc and sets it", ex.getMessage());
    }
}
