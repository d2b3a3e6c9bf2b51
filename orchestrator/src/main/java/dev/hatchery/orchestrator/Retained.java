package dev.hatchery.orchestrator;

import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.function.Predicate;

/**
 * Items by id, in the order they were added, keeping every live item and at most {@code keepFinished}
 * finished ones (the oldest finished go first), so a long-running service does not grow without bound.
 */
final class Retained<T>
{
    private final Map<String, T> items = new LinkedHashMap<>();
    private final int keepFinished;
    private final Predicate<T> finished;

    Retained(final int keepFinished, final Predicate<T> finished)
    {
        this.keepFinished = keepFinished;
        this.finished = finished;
    }

    synchronized void put(final String id, final T item)
    {
        items.put(id, item);
        long finishedCount = items.values().stream().filter(finished).count();
        for (final Iterator<T> it = items.values().iterator(); it.hasNext() && finishedCount > keepFinished; )
        {
            if (finished.test(it.next()))
            {
                it.remove();
                finishedCount--;
            }
        }
    }

    synchronized Optional<T> get(final String id)
    {
        return Optional.ofNullable(items.get(id));
    }

    synchronized int size()
    {
        return items.size();
    }
}
