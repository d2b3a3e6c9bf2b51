package dev.hatchery.vm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;
import java.util.Optional;

import dev.hatchery.devices.BootMilestonePort;

import org.junit.jupiter.api.Test;

class PhaseTest
{
    @Test
    void shouldGiveEveryPhaseAUniqueCamelCaseJsonKey()
    {
        final List<String> keys = Arrays.stream(Phase.values()).map(Phase::jsonKey).toList();

        for (final String key : keys)
        {
            assertTrue(key.matches("[a-z][a-zA-Z0-9]*"), "not a camelCase identifier: " + key);
        }
        assertEquals(keys.size(), keys.stream().distinct().count(), keys.toString());
    }

    @Test
    void shouldKeepTheJsonKeysToolsRead()
    {
        // The JSON contract: changing one breaks consumers of batch reports and the HTTP API.
        assertEquals(List.of("request", "memoryReady", "kernelLoaded", "vmCreated", "vcpuReady", "firstKvmRun", "kernelEntry",
            "initStarted", "bootComplete", "functionReplied", "stopped"), Arrays.stream(Phase.values()).map(Phase::jsonKey).toList());
    }

    @Test
    void shouldPlaceGuestMilestonesBetweenTheFirstRunAndBootComplete()
    {
        assertTrue(Phase.FIRST_RUN.compareTo(Phase.KERNEL_ENTRY) < 0);
        assertTrue(Phase.KERNEL_ENTRY.compareTo(Phase.INIT_STARTED) < 0);
        assertTrue(Phase.INIT_STARTED.compareTo(Phase.BOOT_COMPLETE) < 0);
    }

    @Test
    void shouldMapEachGuestMilestoneToItsPhase()
    {
        assertEquals(Phase.KERNEL_ENTRY, Phase.of(BootMilestonePort.Milestone.KERNEL_ENTRY));
        assertEquals(Phase.INIT_STARTED, Phase.of(BootMilestonePort.Milestone.INIT_STARTED));
    }

    @Test
    void shouldFindThePhaseOfAJsonKeyWhenKnown()
    {
        assertEquals(Optional.of(Phase.FIRST_RUN), Phase.ofJsonKey("firstKvmRun"));
        assertEquals(Optional.empty(), Phase.ofJsonKey("first KVM_RUN"));
    }
}
