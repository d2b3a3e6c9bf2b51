package dev.hatchery.orchestrator;

import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.function.Predicate;
import java.util.function.ToLongFunction;

/**
 * Items by id, in the order they were added, keeping every live item and at most {@code keepFinished} finished ones
 * taking at most {@code maxFinishedBytes} (estimated by {@code sizeOf}; the oldest finished go first), so a
 * long-running service does not grow without bound, in count or in bytes. Live items are never dropped: the
 * service's admission limits bound them.
 */
final class Retained<T>
{
    private final Map<String, T> items = new LinkedHashMap<>();
    private final int keepFinished;
    private final long maxFinishedBytes;
    private final Predicate<T> finished;
    private final ToLongFunction<T> sizeOf;
    private long dropped;

    Retained(final int keepFinished, final Predicate<T> finished)
    {
        this(keepFinished, Long.MAX_VALUE, finished, item -> 0);
    }

    Retained(final int keepFinished, final long maxFinishedBytes, final Predicate<T> finished, final ToLongFunction<T> sizeOf)
    {
        this.keepFinished = keepFinished;
        this.maxFinishedBytes = maxFinishedBytes;
        this.finished = finished;
        this.sizeOf = sizeOf;
    }

    synchronized void put(final String id, final T item)
    {
        items.put(id, item);
        long finishedCount = 0;
        long finishedBytes = 0;
        for (final T each : items.values())
        {
            if (finished.test(each))
            {
                finishedCount++;
                finishedBytes += sizeOf.applyAsLong(each);
            }
        }
        for (final Iterator<T> it = items.values().iterator(); it.hasNext() && (finishedCount > keepFinished || finishedBytes > maxFinishedBytes); )
        {
            final T each = it.next();
            if (finished.test(each))
            {
                finishedBytes -= sizeOf.applyAsLong(each);
                finishedCount--;
                dropped++;
                it.remove();
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

    /** Estimated bytes of every item kept, live and finished. */
    synchronized long bytes()
    {
        long bytes = 0;
        for (final T each : items.values())
        {
            bytes += sizeOf.applyAsLong(each);
        }
        return bytes;
    }

    int keepFinished()
    {
        return keepFinished;
    }

    long maxFinishedBytes()
    {
        return maxFinishedBytes;
    }

    /** Finished items forgotten to stay within the bounds. */
    synchronized long dropped()
    {
        return dropped;
    }
}
