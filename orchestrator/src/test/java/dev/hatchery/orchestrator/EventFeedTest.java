package dev.hatchery.orchestrator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

class EventFeedTest
{
    private final EventFeed<String> feed = new EventFeed<>();
    private final List<String> seen = new ArrayList<>();

    @Test
    void shouldReplayPastEventsThenDeliverNewOnesThenTheEnd()
    {
        feed.append("a");
        feed.append("b");

        feed.subscribe(seen::add, () -> seen.add("<end>"));
        feed.append("c");
        feed.end();

        assertEquals(List.of("a", "b", "c", "<end>"), seen);
    }

    @Test
    void shouldReplayEverythingAndTheEndToALateSubscriber()
    {
        feed.append("a");
        feed.end();

        feed.subscribe(seen::add, () -> seen.add("<end>"));

        assertEquals(List.of("a", "<end>"), seen);
    }

    @Test
    void shouldStopDeliveringToACancelledSubscription()
    {
        final EventFeed.Subscription subscription = feed.subscribe(seen::add, () -> seen.add("<end>"));
        feed.append("a");

        subscription.cancel();
        feed.append("b");
        feed.end();

        assertEquals(List.of("a"), seen);
        assertEquals(0, feed.listenerCount());
    }

    @Test
    void shouldRefuseEventsAfterTheEndAndEndOnlyOnce()
    {
        feed.subscribe(seen::add, () -> seen.add("<end>"));
        feed.end();
        feed.end();

        assertThrows(IllegalStateException.class, () -> feed.append("late"));
        assertEquals(List.of("<end>"), seen);
    }
}
