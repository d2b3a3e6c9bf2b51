package dev.hatchery.vm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

class NetSettingsTest
{
    @ParameterizedTest
    @CsvSource({"shared, SHARED", "per-vm, PER_VM", "Per-VM, PER_VM", "' shared ', SHARED"})
    void shouldParseTheLoopAsApplicationConfSpellsIt(final String text, final NetSettings.Loop loop)
    {
        assertEquals(loop, NetSettings.Loop.parse(text));
    }

    @Test
    void shouldNameTheAllowedValuesWhenTheLoopIsUnknown()
    {
        final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, () -> NetSettings.Loop.parse("pool"));
        assertEquals("invalid network event loop: loop=pool: use shared or per-vm", ex.getMessage());
    }

    @ParameterizedTest
    @CsvSource({"0", "65"})
    void shouldRefuseSharedLoopCountsOutsideOneToSixtyFour(final int count)
    {
        final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class,
            () -> new NetSettings(NetSettings.Loop.SHARED, count, true));
        assertEquals("invalid number of shared network loops: shared-loops=" + count + ": use 1 to 64", ex.getMessage());
    }

    @Test
    void shouldDescribeItselfAsKeyValues()
    {
        assertEquals("loop=shared shared_loops=2 offloads=true", new NetSettings(NetSettings.Loop.SHARED, 2, true).toString());
        assertEquals("loop=per-vm offloads=false", NetSettings.defaults().withLoop(NetSettings.Loop.PER_VM).withOffloads(false).toString());
    }
}
