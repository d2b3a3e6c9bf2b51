package dev.hatchery.vm;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class HostSettingsTest
{
    @Test
    void shouldRefillAtHalfTheDepthWithRecyclingAndAtTheDepthWithout()
    {
        assertEquals(8, new HostSettings(16, 4, 2, 16, 2, true).shellRefillBelow());
        assertEquals(1, new HostSettings(1, 4, 2, 16, 2, true).shellRefillBelow());
        assertEquals(16, new HostSettings(16, 4, 2, 16, 2, false).shellRefillBelow());
    }

    @Test
    void shouldMakeAPoolWithShellsOffWhetherOrNotRecyclingIsOn()
    {
        for (final boolean recycle : new boolean[] {true, false})
        {
            final HostSettings off = new HostSettings(0, 4, 2, 16, 2, recycle);

            assertEquals(0, off.shellRefillBelow());
            assertEquals(0, new ShellPool<String, AutoCloseable>(off.shellDepth(), off.shellShapes(), off.shellRefillBelow(), shape -> () -> { })
                .depth());
        }
    }
}
