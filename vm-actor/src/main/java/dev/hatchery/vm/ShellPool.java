package dev.hatchery.vm;

import java.util.Deque;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Shells made ahead, per shape ({@code K}: what a shell is made for), up to {@code depth} each. A spawn
 * {@link #take}s one without waiting (null when none is ready: the spawn then builds its VM directly);
 * {@link #fill()} makes the missing ones off the spawn path, for the shapes asked for most recently (at most
 * {@code maxShapes}, so that VMs of ever new sizes do not pile up shells). A new shape takes the place of the one asked
 * for least recently only once that one has gone unasked for {@code shapeIdleNanos}: while every kept shape is in use,
 * the new one's VMs are built directly, instead of each shape in use dropping another's shells and making its own over
 * and over (more shapes at once than {@code maxShapes} did exactly that, until no VM got to run). Depth 0 turns the
 * pool off. Shells reset after their VM ended come back through {@link #giveBack}, up to the depth; when they do, the pool is only refilled with new
 * shells once a shape falls below {@code refillBelow} (half the depth, say), so that a steady stream of spawns runs on
 * returned shells and new ones are made only for bursts. Generic over shape and shell so its bookkeeping can be tested
 * without KVM.
 */
final class ShellPool<K, S extends AutoCloseable> implements AutoCloseable
{
    /** Counts since the pool was made: shells handed out, spawns that found none, shells made, shells given back. */
    record Stats(int depth, long taken, long missed, long made, long returned, int ready)
    {
    }

    private static final Logger LOG = LoggerFactory.getLogger(ShellPool.class);
    /** How long {@link #prepare} waits for shells a filler thread is still making. */
    private static final long PREPARE_WAIT_NANOS = java.util.concurrent.TimeUnit.SECONDS.toNanos(30);

    private final int depth;
    /** A shape is topped up to the depth once it has fewer than this many ready or being made. */
    private final int refillBelow;
    /** Shapes kept at once; a new one takes the place (and drops the shells) of the least recently asked for, once idle. */
    private final int maxShapes;
    /** How long a kept shape must have gone unasked for before a new shape may take its place. */
    private final long shapeIdleNanos;
    private final java.util.function.LongSupplier nanoClock;
    private final Function<K, S> factory;
    private final java.util.function.Consumer<S> discard;
    private final Map<K, Ready<S>> shapes = new ConcurrentHashMap<>();
    private final AtomicLong taken = new AtomicLong();
    private final AtomicLong missed = new AtomicLong();
    private final AtomicLong made = new AtomicLong();
    private final AtomicLong returned = new AtomicLong();
    private volatile boolean closed;

    ShellPool(final int depth, final int maxShapes, final Function<K, S> factory)
    {
        this(depth, maxShapes, depth, factory, ShellPool::closeQuietly);
    }

    ShellPool(final int depth, final int maxShapes, final int refillBelow, final Function<K, S> factory)
    {
        this(depth, maxShapes, refillBelow, factory, ShellPool::closeQuietly);
    }

    /**
     * @param discard closes a shell the pool no longer wants (a dropped shape's, one made beyond the depth); called
     *                outside the pool's lock, so that destroying a KVM VM (slow in a nested lab: once over
     *                a minute) never holds up a spawn or a prepare; the host hands them to its teardown threads
     */
    ShellPool(final int depth, final int maxShapes, final int refillBelow, final Function<K, S> factory, final java.util.function.Consumer<S> discard)
    {
        this(depth, maxShapes, refillBelow, 0, System::nanoTime, factory, discard);
    }

    /**
     * @param shapeIdleNanos how long the least recently asked-for shape must have gone unasked for before a new shape
     *                       replaces it (0: at once)
     * @param nanoClock      the clock those times are read from ({@link System#nanoTime} but in tests)
     */
    ShellPool(final int depth, final int maxShapes, final int refillBelow, final long shapeIdleNanos, final java.util.function.LongSupplier nanoClock,
        final Function<K, S> factory, final java.util.function.Consumer<S> discard)
    {
        if (shapeIdleNanos < 0)
        {
            throw new IllegalArgumentException("shell pool shape idle time must be 0 or more: shapeIdleNanos=" + shapeIdleNanos);
        }
        this.shapeIdleNanos = shapeIdleNanos;
        this.nanoClock = Objects.requireNonNull(nanoClock, "nanoClock");
        this.discard = Objects.requireNonNull(discard, "discard");
        if (depth < 0)
        {
            throw new IllegalArgumentException("shell pool depth must be 0 (off) or more: depth=" + depth);
        }
        if (maxShapes < 1)
        {
            throw new IllegalArgumentException("shell pool must keep at least one shape: maxShapes=" + maxShapes);
        }
        if (refillBelow < (depth == 0 ? 0 : 1) || refillBelow > depth)
        {
            throw new IllegalArgumentException("shell pool refill mark must lie in 1..depth: refillBelow=" + refillBelow + " depth=" + depth);
        }
        this.depth = depth;
        this.refillBelow = refillBelow;
        this.maxShapes = maxShapes;
        this.factory = Objects.requireNonNull(factory, "factory");
    }

    int depth()
    {
        return depth;
    }

    /** A ready shell of this shape, or null (pool off, empty, or closed); a miss asks for the shape to be kept. */
    S take(final K shape)
    {
        if (depth == 0 || closed)
        {
            return null;
        }
        final Ready<S> ready = ready(shape);
        final S shell = ready == null ? null : ready.poll();
        if (shell == null)
        {
            missed.incrementAndGet();
            return null;
        }
        taken.incrementAndGet();
        return shell;
    }

    /** Whether some shape has fewer than {@code depth} shells ready or being made (then {@link #fill()} has work). */
    boolean wantsFill()
    {
        if (depth == 0 || closed)
        {
            return false;
        }
        for (final Ready<S> ready : shapes.values())
        {
            if (ready.wanted(refillBelow) && !ready.failing)
            {
                return true;
            }
        }
        return false;
    }

    /** Makes shells of this shape now, up to the depth, on the calling thread (and waits for those a filler is making); failures are thrown. */
    void prepare(final K shape)
    {
        if (depth == 0 || closed)
        {
            return;
        }
        final Ready<S> ready = ready(shape);
        if (ready == null)
        {
            return;
        }
        ready.failing = false;
        while (!closed && ready.reserve(depth))
        {
            final S shell;
            try
            {
                shell = factory.apply(shape);
            }
            catch (final RuntimeException | Error ex)
            {
                ready.unreserve();
                throw ex;
            }
            made.incrementAndGet();
            // Added before the place is given back, so that ready + being made never dips below what exists.
            if (!add(ready, shell))
            {
                discard.accept(shell);
            }
            ready.unreserve();
        }
        // A filler thread may be making this shape's last shells: they count towards the depth, so wait for them.
        final long deadline = System.nanoTime() + PREPARE_WAIT_NANOS;
        while (ready.making() > 0 && !closed && System.nanoTime() < deadline)
        {
            java.util.concurrent.locks.LockSupport.parkNanos(100_000);
        }
    }

    /**
     * Tops every shape asked for up to the depth. Several threads may fill at once: each reserves a place before
     * it makes a shell, so together they make no more than the depth (making one mostly waits for KVM, which
     * synchronises with the CPUs when a memory slot is set, so makers in parallel overlap those waits). A shape
     * whose shell cannot be made (out of memory, of file descriptors) is logged once and left until a spawn or
     * {@link #prepare} asks for it again.
     */
    void fill()
    {
        for (final Map.Entry<K, Ready<S>> entry : shapes.entrySet())
        {
            final Ready<S> ready = entry.getValue();
            if (!ready.wanted(refillBelow))
            {
                continue;
            }
            while (!closed && !ready.failing && !ready.dropped && ready.reserve(depth))
            {
                final S shell;
                try
                {
                    shell = factory.apply(entry.getKey());
                }
                catch (final RuntimeException ex)
                {
                    ready.unreserve();
                    ready.failing = true;
                    LOG.warn("shells.fill_failed shape=\"{}\" ready={} depth={} error=\"{}\"", entry.getKey(), ready.count(), depth,
                        ex.getMessage());
                    continue;
                }
                made.incrementAndGet();
                if (!add(ready, shell))
                {
                    discard.accept(shell);
                }
                ready.unreserve();
            }
        }
    }

    /** Whether {@link #giveBack} would take a shell of this shape now (asked before paying for a reset). */
    boolean hasRoomFor(final K shape)
    {
        final Ready<S> ready = shapes.get(shape);
        return depth > 0 && !closed && ready != null && !ready.dropped && ready.count() < depth;
    }

    /**
     * Takes back a shell made ready again after its VM ended, if its shape is still kept and has fewer than
     * {@code depth} ready; false when it does not (the caller keeps the shell and closes it).
     */
    synchronized boolean giveBack(final K shape, final S shell)
    {
        if (!hasRoomFor(shape))
        {
            return false;
        }
        // First out: a shell just used has its pages and KVM structures warm, and a returned shell is taken before fresh ones.
        shapes.get(shape).addFirst(shell);
        returned.incrementAndGet();
        return true;
    }

    /**
     * Adds a new shell; false (the caller discards it) when the pool closed while it was being made (close() drains
     * under the same lock), or when shells given back meanwhile filled the shape: the depth is a bound, not a target.
     */
    private synchronized boolean add(final Ready<S> ready, final S shell)
    {
        if (closed || ready.dropped || ready.count() >= depth)
        {
            return false;
        }
        ready.add(shell);
        return true;
    }

    /**
     * The shape's shells, made known to the pool if new (dropping the least recently asked-for shape beyond the limit,
     * if that one has gone unasked for long enough); null when the pool keeps as many shapes as it may and all of
     * them are in use: this shape's VMs are then built directly.
     */
    private Ready<S> ready(final K shape)
    {
        final long now = nanoClock.getAsLong();
        final Ready<S> known = shapes.get(shape);
        if (known != null)
        {
            known.askedAt = now;
            return known;
        }
        final java.util.List<S> unwanted = new java.util.ArrayList<>();
        final Ready<S> ready;
        synchronized (this)
        {
            final Ready<S> raced = shapes.get(shape);
            if (raced != null)
            {
                raced.askedAt = now;
                return raced;
            }
            if (shapes.size() >= maxShapes)
            {
                final Map.Entry<K, Ready<S>> oldest = leastRecentlyAsked();
                if (now - oldest.getValue().askedAt < shapeIdleNanos)
                {
                    LOG.debug("shells.shape_not_kept shape=\"{}\" max_shapes={} least_recent_idle_ms={}", shape, maxShapes,
                        (now - oldest.getValue().askedAt) / 1_000_000);
                    return null;
                }
                drop(oldest, unwanted);
            }
            ready = new Ready<>();
            ready.askedAt = now;
            shapes.put(shape, ready);
        }
        unwanted.forEach(discard);
        return ready;
    }

    private Map.Entry<K, Ready<S>> leastRecentlyAsked()
    {
        Map.Entry<K, Ready<S>> oldest = null;
        for (final Map.Entry<K, Ready<S>> entry : shapes.entrySet())
        {
            if (oldest == null || entry.getValue().askedAt - oldest.getValue().askedAt < 0)
            {
                oldest = entry;
            }
        }
        return oldest;
    }

    /** Forgets a shape; its shells go to {@code unwanted}, to be discarded outside the lock. */
    private void drop(final Map.Entry<K, Ready<S>> oldest, final java.util.List<S> unwanted)
    {
        shapes.remove(oldest.getKey());
        final Ready<S> dropped = oldest.getValue();
        dropped.dropped = true;
        S shell;
        int closedShells = 0;
        while ((shell = dropped.poll()) != null)
        {
            unwanted.add(shell);
            closedShells++;
        }
        LOG.info("shells.shape_dropped shape=\"{}\" shells_closed={} max_shapes={}", oldest.getKey(), closedShells, maxShapes);
    }

    Stats stats()
    {
        int ready = 0;
        for (final Ready<S> shells : shapes.values())
        {
            ready += shells.count();
        }
        return new Stats(depth, taken.get(), missed.get(), made.get(), returned.get(), ready);
    }

    /** Closes every ready shell (and each one still being made, as it is done); shells taken belong to their VMs. */
    @Override
    public void close()
    {
        final java.util.List<S> ready = new java.util.ArrayList<>();
        synchronized (this)
        {
            closed = true;
            for (final Ready<S> shells : shapes.values())
            {
                S shell;
                while ((shell = shells.poll()) != null)
                {
                    ready.add(shell);
                }
            }
        }
        // Here, on the closing thread: the host closes the pool last, after its teardown threads.
        ready.forEach(ShellPool::closeQuietly);
    }

    static void closeQuietly(final AutoCloseable shell)
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

    /** The shells of one shape, with counts that do not walk the deque: ready, and being made. */
    private static final class Ready<S>
    {
        private final Deque<S> shells = new ConcurrentLinkedDeque<>();
        private final AtomicInteger count = new AtomicInteger();
        private final AtomicInteger making = new AtomicInteger();
        /** The last attempt to make one failed; cleared when a spawn misses or the shape is prepared again. */
        private volatile boolean failing;
        /** When a spawn or a preparation last asked for this shape (System.nanoTime). */
        private volatile long askedAt;
        /** Dropped from the pool: a shell still being made for it is closed when done. */
        private volatile boolean dropped;

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

        void addFirst(final S shell)
        {
            shells.addFirst(shell);
            count.incrementAndGet();
        }

        int count()
        {
            return count.get();
        }

        boolean wanted(final int depth)
        {
            return count.get() + making.get() < depth;
        }

        /** Takes a place for one shell to make, if ready and being made stay within the depth. */
        boolean reserve(final int depth)
        {
            while (true)
            {
                final int inProgress = making.get();
                if (count.get() + inProgress >= depth)
                {
                    return false;
                }
                if (making.compareAndSet(inProgress, inProgress + 1))
                {
                    return true;
                }
            }
        }

        void unreserve()
        {
            making.decrementAndGet();
        }

        int making()
        {
            return making.get();
        }
    }
}
