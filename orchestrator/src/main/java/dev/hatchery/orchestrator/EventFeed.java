package dev.hatchery.orchestrator;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * An append-only log of events that can be followed: a subscriber first receives everything already
 * appended, in order, then each new event, then the end. Thread-safe; listeners run on the appending
 * thread, so they must only hand the event on (e.g. offer it to a stream's queue).
 */
public final class EventFeed<T>
{
    /** Follows the feed; {@link #cancel()} stops delivery (e.g. when an HTTP client goes away). */
    public interface Subscription
    {
        void cancel();
    }

    private final List<T> events = new ArrayList<>();
    private final List<Listener<T>> listeners = new ArrayList<>();
    private boolean ended;

    private record Listener<T>(Consumer<T> onEvent, Runnable onEnd)
    {
    }

    public synchronized void append(final T event)
    {
        if (ended)
        {
            throw new IllegalStateException("event appended after the feed ended: " + event);
        }
        events.add(event);
        listeners.forEach(listener -> listener.onEvent().accept(event));
    }

    /** No more events; every subscriber is told once. A second call does nothing. */
    public synchronized void end()
    {
        if (!ended)
        {
            ended = true;
            listeners.forEach(listener -> listener.onEnd().run());
            listeners.clear();
        }
    }

    public synchronized Subscription subscribe(final Consumer<T> onEvent, final Runnable onEnd)
    {
        events.forEach(onEvent);
        if (ended)
        {
            onEnd.run();
            return () -> { };
        }
        final Listener<T> listener = new Listener<>(onEvent, onEnd);
        listeners.add(listener);
        return () -> remove(listener);
    }

    public synchronized List<T> snapshot()
    {
        return List.copyOf(events);
    }

    /** Events appended so far. */
    public synchronized int size()
    {
        return events.size();
    }

    public synchronized boolean ended()
    {
        return ended;
    }

    synchronized int listenerCount()
    {
        return listeners.size();
    }

    private synchronized void remove(final Listener<T> listener)
    {
        listeners.remove(listener);
    }
}
