package dev.hatchery.vm;

import java.util.Deque;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;

import dev.hatchery.config.HugePages;
import dev.hatchery.config.VmSpec;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Shells made ahead, per machine shape, up to {@code depth} each. A spawn {@link #take}s one without waiting
 * (null when none is ready: the spawn then builds its VM directly); {@link #fill()} makes the missing ones off
 * the spawn path, for every shape asked for so far. Depth 0 turns the pool off. Generic over the shell type
 * so its bookkeeping can be tested without KVM.
 */
final class ShellPool<S extends AutoCloseable> implements AutoCloseable
{
    /** What a shell is made for: the guest RAM size and how it is backed. */
    record Shape(long ramSize, HugePages hugePages)
    {
        Shape
        {
            Objects.requireNonNull(hugePages, "hugePages");
        }

        static Shape of(final VmSpec spec)
        {
            return new Shape(spec.memBytes(), spec.hugePages());
        }
    }

    /** Counts since the pool was made: shells handed out, spawns that found none, shells made. */
    record Stats(int depth, long taken, long missed, long made, int ready)
    {
    }

    private static final Logger LOG = LoggerFactory.getLogger(ShellPool.class);

    private final int depth;
    private final Function<Shape, S> factory;
    private final Map<Shape, Ready<S>> shapes = new ConcurrentHashMap<>();
    private final AtomicLong taken = new AtomicLong();
    private final AtomicLong missed = new AtomicLong();
    private final AtomicLong made = new AtomicLong();
    private volatile boolean closed;

    ShellPool(final int depth, final Function<Shape, S> factory)
    {
        if (depth < 0)
        {
            throw new IllegalArgumentException("shell pool depth must be 0 (off) or more: depth=" + depth);
        }
        this.depth = depth;
        this.factory = Objects.requireNonNull(factory, "factory");
    }

    int depth()
    {
        return depth;
    }

    /** A ready shell of this shape, or null (pool off, empty, or closed); a miss asks for the shape to be kept. */
    S take(final Shape shape)
    {
        if (depth == 0 || closed)
        {
            return null;
        }
        final S shell = ready(shape).poll();
        if (shell == null)
        {
            missed.incrementAndGet();
            return null;
        }
        taken.incrementAndGet();
        return shell;
    }

    /** Whether some shape has fewer than {@code depth} shells ready (the host's filler then calls {@link #fill()}). */
    boolean wantsFill()
    {
        if (depth == 0 || closed)
        {
            return false;
        }
        for (final Ready<S> ready : shapes.values())
        {
            if (ready.count() < depth && !ready.failing)
            {
                return true;
            }
        }
        return false;
    }

    /** Makes shells of this shape now, up to the depth, on the calling thread; failures are thrown. */
    synchronized void prepare(final Shape shape)
    {
        if (depth == 0 || closed)
        {
            return;
        }
        final Ready<S> ready = ready(shape);
        ready.failing = false;
        while (ready.count() < depth && !closed)
        {
            ready.add(make(shape));
        }
    }

    /**
     * Tops every shape asked for up to the depth. A shape whose shell cannot be made (out of memory, of file
     * descriptors) is logged once and left until a spawn or {@link #prepare} asks for it again.
     */
    synchronized void fill()
    {
        for (final Map.Entry<Shape, Ready<S>> entry : shapes.entrySet())
        {
            final Ready<S> ready = entry.getValue();
            while (ready.count() < depth && !closed && !ready.failing)
            {
                try
                {
                    ready.add(make(entry.getKey()));
                }
                catch (final RuntimeException ex)
                {
                    ready.failing = true;
                    LOG.warn("shells.fill_failed ram_bytes={} huge_pages={} ready={} depth={} error=\"{}\"", entry.getKey().ramSize(),
                        entry.getKey().hugePages(), ready.count(), depth, ex.getMessage());
                }
            }
        }
    }

    private S make(final Shape shape)
    {
        final S shell = factory.apply(shape);
        made.incrementAndGet();
        if (closed)
        {
            closeQuietly(shell);
            throw new IllegalStateException("shell pool is closed");
        }
        return shell;
    }

    private Ready<S> ready(final Shape shape)
    {
        final Ready<S> ready = shapes.computeIfAbsent(shape, key -> new Ready<>());
        return ready;
    }

    Stats stats()
    {
        int ready = 0;
        for (final Ready<S> shells : shapes.values())
        {
            ready += shells.count();
        }
        return new Stats(depth, taken.get(), missed.get(), made.get(), ready);
    }

    /** Closes every ready shell; shells already taken belong to their VMs. */
    @Override
    public void close()
    {
        closed = true;
        synchronized (this)
        {
            for (final Ready<S> ready : shapes.values())
            {
                S shell;
                while ((shell = ready.poll()) != null)
                {
                    closeQuietly(shell);
                }
            }
        }
    }

    private static void closeQuietly(final AutoCloseable shell)
    {
        try
        {
            shell.close();
        }
        catch (final Exception ex)
        {
            LOG.warn("shells.close_failed error=\"{}\"", ex.toString());
        }
    }

    /** The shells of one shape, with a count that does not walk the deque. */
    private static final class Ready<S>
    {
        private final Deque<S> shells = new ConcurrentLinkedDeque<>();
        private final AtomicInteger count = new AtomicInteger();
        /** The last attempt to make one failed; cleared when a spawn misses or the shape is prepared again. */
        private volatile boolean failing;

        S poll()
        {
            final S shell = shells.pollFirst();
            if (shell != null)
            {
                count.decrementAndGet();
            }
            else
            {
                failing = false;
            }
            return shell;
        }

        void add(final S shell)
        {
            shells.addLast(shell);
            count.incrementAndGet();
        }

        int count()
        {
            return count.get();
        }
    }
}
