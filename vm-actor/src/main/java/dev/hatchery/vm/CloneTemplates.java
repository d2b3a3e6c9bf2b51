package dev.hatchery.vm;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.ToLongFunction;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Things made once per key and shared by every caller of that key, held while in use: the host's captured clone
 * templates, one per clone spec. The first caller makes it (booting the template VM takes a whole boot), later
 * callers wait for that one; each holds what it got until it closes its hold. Bounded: past {@code maxKept}, the
 * least recently acquired entries nobody holds are dropped (closed: a template's memory file; clones alive keep their
 * mappings). An entry that could not be made is not kept, so the next caller tries again.
 *
 * @param <K> the key (a clone spec)
 * @param <V> what is made (a {@link CloneImage}); closed when dropped
 */
final class CloneTemplates<K, V extends AutoCloseable> implements AutoCloseable
{
    private static final Logger LOG = LoggerFactory.getLogger(CloneTemplates.class);

    /** Kept entries, those held now, the bytes kept ones hold, and how many were dropped to fit the bound. */
    record Stats(int kept, int held, long bytes, long dropped, int maxKept)
    {
    }

    private final int maxKept;
    private final ToLongFunction<V> bytesOf;
    /** Access order: the eldest entry is the least recently acquired. */
    private final Map<K, Entry<V>> entries = new LinkedHashMap<>(16, 0.75f, true);
    private long dropped;
    private boolean closed;

    private static final class Entry<V>
    {
        final CompletableFuture<V> value = new CompletableFuture<>();
        int holds;

        boolean made()
        {
            return value.isDone() && !value.isCompletedExceptionally();
        }
    }

    /** One caller's hold: the value, and how to give the hold back (once). */
    static final class Hold<V>
    {
        private final V value;
        private final Runnable release;
        private boolean released;

        private Hold(final V value, final Runnable release)
        {
            this.value = value;
            this.release = release;
        }

        V value()
        {
            return value;
        }

        synchronized void release()
        {
            if (!released)
            {
                released = true;
                release.run();
            }
        }
    }

    CloneTemplates(final int maxKept, final ToLongFunction<V> bytesOf)
    {
        if (maxKept < 1)
        {
            throw new IllegalArgumentException("clone templates kept must be at least 1: got " + maxKept);
        }
        this.maxKept = maxKept;
        this.bytesOf = bytesOf;
    }

    /** The value for {@code key}, made now by {@code maker} if there is none; blocks while it is made. Fails with why it could not be. */
    Hold<V> acquire(final K key, final Function<K, V> maker)
    {
        final Entry<V> entry;
        final boolean mine;
        synchronized (this)
        {
            if (closed)
            {
                throw new IllegalStateException("clone templates are closed");
            }
            final Entry<V> existing = entries.get(key);
            mine = existing == null;
            entry = mine ? new Entry<>() : existing;
            if (mine)
            {
                entries.put(key, entry);
            }
            entry.holds++;
        }
        if (mine)
        {
            try
            {
                entry.value.complete(maker.apply(key));
            }
            catch (final RuntimeException | Error ex)
            {
                entry.value.completeExceptionally(ex);
            }
        }
        final V value;
        try
        {
            value = entry.value.join();
        }
        catch (final CompletionException ex)
        {
            synchronized (this)
            {
                entry.holds--;
                entries.remove(key, entry);
            }
            throw ex.getCause() instanceof RuntimeException runtime ? runtime : ex;
        }
        return new Hold<>(value, () -> release(key, entry));
    }

    private void release(final K key, final Entry<V> entry)
    {
        final List<V> drop = new ArrayList<>();
        synchronized (this)
        {
            entry.holds--;
            if (closed && entry.holds == 0 && entries.remove(key, entry))
            {
                drop.add(entry.value.join());
            }
            dropUnheldBeyondBound(drop);
        }
        close(drop);
    }

    /** Under the lock: the least recently acquired unheld entries, until at most {@code maxKept} remain. */
    private void dropUnheldBeyondBound(final List<V> drop)
    {
        int over = entries.size() - maxKept;
        final var iterator = entries.values().iterator();
        while (over > 0 && iterator.hasNext())
        {
            final Entry<V> eldest = iterator.next();
            if (eldest.holds == 0 && eldest.made())
            {
                iterator.remove();
                drop.add(eldest.value.join());
                dropped++;
                over--;
            }
        }
    }

    synchronized Stats stats()
    {
        int kept = 0;
        int held = 0;
        long bytes = 0;
        for (final Entry<V> entry : entries.values())
        {
            if (entry.made())
            {
                kept++;
                bytes += bytesOf.applyAsLong(entry.value.join());
                held += entry.holds > 0 ? 1 : 0;
            }
        }
        return new Stats(kept, held, bytes, dropped, maxKept);
    }

    /** Drops every entry nobody holds; held ones go when their last hold is given back. */
    @Override
    public void close()
    {
        final List<V> drop = new ArrayList<>();
        synchronized (this)
        {
            closed = true;
            final var iterator = entries.values().iterator();
            while (iterator.hasNext())
            {
                final Entry<V> entry = iterator.next();
                if (entry.holds == 0 && entry.value.isDone())
                {
                    iterator.remove();
                    if (entry.made())
                    {
                        drop.add(entry.value.join());
                    }
                }
            }
        }
        close(drop);
    }

    private static <V extends AutoCloseable> void close(final List<V> values)
    {
        for (final V value : values)
        {
            LOG.info("clone_template.dropped what=\"{}\"", value);
            try
            {
                value.close();
            }
            catch (final Exception ex)
            {
                LOG.warn("clone_template.close_failed error=\"{}\"", ex.toString());
            }
        }
    }
}
