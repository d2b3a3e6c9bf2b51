package dev.hatchery.orchestrator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.Set;

import org.junit.jupiter.api.Test;

class RetainedTest
{
    @Test
    void shouldKeepEveryLiveItemAndOnlyTheNewestFinishedOnes()
    {
        final Set<String> finished = new HashSet<>(Set.of("a", "b", "c"));
        final Retained<String> retained = new Retained<>(2, finished::contains);

        retained.put("live", "live");
        retained.put("a", "a");
        retained.put("b", "b");
        retained.put("c", "c");

        assertTrue(retained.get("live").isPresent());
        assertTrue(retained.get("a").isEmpty());
        assertTrue(retained.get("b").isPresent());
        assertTrue(retained.get("c").isPresent());
        assertEquals(3, retained.size());
    }

    @Test
    void shouldDropTheOldestFinishedItemsBeyondTheByteBoundButNeverALiveOne()
    {
        final Set<String> finished = new HashSet<>(Set.of("a", "b", "c"));
        final Retained<String> retained = new Retained<>(100, 2500, finished::contains, item -> 1000);

        retained.put("live", "live");
        retained.put("a", "a");
        retained.put("b", "b");
        retained.put("c", "c");

        assertTrue(retained.get("live").isPresent(), "live items are kept whatever their size");
        assertTrue(retained.get("a").isEmpty(), "three finished items of 1000 bytes pass 2500: the oldest goes");
        assertTrue(retained.get("b").isPresent());
        assertTrue(retained.get("c").isPresent());
        assertEquals(3000, retained.bytes());
        assertEquals(1, retained.dropped());
    }
}
