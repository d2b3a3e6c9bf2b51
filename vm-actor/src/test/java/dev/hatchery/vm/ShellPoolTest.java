package dev.hatchery.vm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;

import org.junit.jupiter.api.Test;

/** The pool's bookkeeping with test shells (ShellIT runs it with real KVM shells). */
class ShellPoolTest
{
    private static final String SMALL = "16 MiB, flat";
    private static final String LARGE = "128 MiB, linux";

    /** A shell that only knows its shape and whether it was closed. */
    static final class TestShell implements AutoCloseable
    {
        final String shape;
        boolean closed;

        TestShell(final String shape)
        {
            this.shape = shape;
        }

        @Override
        public void close()
        {
            closed = true;
        }
    }

    private final List<TestShell> made = new ArrayList<>();
    private final Function<String, TestShell> factory = shape ->
    {
        final TestShell shell = new TestShell(shape);
        made.add(shell);
        return shell;
    };

    @Test
    void shouldMissOnAShapeNeverAskedForThenFillItToTheDepth()
    {
        final ShellPool<String, TestShell> pool = new ShellPool<>(3, 4, factory);

        assertNull(pool.take(SMALL));
        assertTrue(pool.wantsFill());
        pool.fill();

        assertEquals(3, made.size());
        assertFalse(pool.wantsFill());
        final TestShell shell = pool.take(SMALL);
        assertSame(made.get(0), shell);
        assertEquals(new ShellPool.Stats(3, 1, 1, 3, 0, 2), pool.stats());
    }

    @Test
    void shouldKeepShapesApartAndRefillOnlyWhatWasTaken()
    {
        final ShellPool<String, TestShell> pool = new ShellPool<>(2, 4, factory);
        pool.prepare(SMALL);
        pool.prepare(LARGE);

        assertEquals(LARGE, pool.take(LARGE).shape);
        assertEquals(SMALL, pool.take(SMALL).shape);
        assertTrue(pool.wantsFill());
        pool.fill();

        assertEquals(6, made.size());
        assertEquals(4, pool.stats().ready());
    }

    @Test
    void shouldDoNothingWhenTheDepthIsZero()
    {
        final ShellPool<String, TestShell> pool = new ShellPool<>(0, 4, factory);

        pool.prepare(SMALL);
        assertNull(pool.take(SMALL));
        pool.fill();

        assertFalse(pool.wantsFill());
        assertEquals(List.of(), made);
        assertEquals(new ShellPool.Stats(0, 0, 0, 0, 0, 0), pool.stats());
    }

    @Test
    void shouldStopFillingAShapeThatFailsUntilASpawnMissesItAgain()
    {
        final AtomicBoolean failing = new AtomicBoolean(true);
        final ShellPool<String, TestShell> pool = new ShellPool<>(2, 4, shape ->
        {
            if (failing.get())
            {
                throw new IllegalStateException("KVM_CREATE_VM failed: errno=24 (EMFILE)");
            }
            return factory.apply(shape);
        });
        assertNull(pool.take(SMALL));

        pool.fill();
        assertFalse(pool.wantsFill(), "a failing shape is not retried in a loop");

        failing.set(false);
        assertNull(pool.take(SMALL));
        assertTrue(pool.wantsFill());
        pool.fill();
        assertEquals(2, pool.stats().ready());
    }

    @Test
    void shouldThrowWhatPreparingFailedWith()
    {
        final ShellPool<String, TestShell> pool = new ShellPool<>(2, 4, shape ->
        {
            throw new IllegalStateException("mmap failed: errno=12 (ENOMEM)");
        });

        final IllegalStateException ex = assertThrows(IllegalStateException.class, () -> pool.prepare(SMALL));
        assertEquals("mmap failed: errno=12 (ENOMEM)", ex.getMessage());
    }

    @Test
    void shouldCloseReadyShellsOnCloseAndHandOutNoneAfter()
    {
        final ShellPool<String, TestShell> pool = new ShellPool<>(2, 4, factory);
        pool.prepare(SMALL);
        final TestShell taken = pool.take(SMALL);

        pool.close();

        assertFalse(taken.closed, "a taken shell belongs to its VM");
        assertTrue(made.get(1).closed);
        assertNull(pool.take(SMALL));
        assertFalse(pool.wantsFill());
    }

    @Test
    void shouldDropTheShapeLeastRecentlyAskedForWithItsShellsBeyondTheLimit() throws Exception
    {
        final ShellPool<String, TestShell> pool = new ShellPool<>(1, 2, factory);
        pool.prepare("a");
        Thread.sleep(1);
        pool.prepare("b");
        Thread.sleep(1);
        assertNotNull(pool.take("a"), "taken from a: a is now the most recently asked for");
        pool.fill();
        Thread.sleep(1);

        pool.prepare("c");

        assertTrue(made.get(1).closed, "b's shell is closed with its shape");
        assertFalse(made.get(2).closed, "a's refill stays");
        assertEquals(2, pool.stats().ready());
        assertNull(pool.take("b"), "b is asked for again: a miss that brings it back for the next fill");
    }

    @Test
    void shouldBuildANewShapeDirectlyWhileEveryKeptShapeIsInUseInsteadOfDroppingOne()
    {
        final long[] now = {0};
        final List<TestShell> discarded = new ArrayList<>();
        final long idle = java.util.concurrent.TimeUnit.SECONDS.toNanos(10);
        final ShellPool<String, TestShell> pool = new ShellPool<>(2, 2, 2, idle, () -> now[0], factory, discarded::add);
        pool.prepare("a");
        now[0] += 1_000_000_000L;
        pool.prepare("b");
        now[0] += 8_000_000_000L;
        assertNotNull(pool.take("a"), "a is in use");

        // Both kept shapes were asked for within the idle time: c's VMs are built directly, nobody's shells are dropped.
        pool.prepare("c");
        assertNull(pool.take("c"), "c is not kept");
        assertTrue(discarded.isEmpty(), "no shape dropped while in use");
        assertEquals(4, made.size(), "no shell made for c");
        pool.fill();
        assertEquals(5, made.size(), "the fill tops up only the kept shapes (a's one taken)");

        // b has now gone unasked for 10 s: c takes its place.
        now[0] += 2_000_000_000L;
        pool.prepare("c");
        assertEquals(List.of(made.get(2), made.get(3)), discarded, "b's shells are dropped for c");
        assertNotNull(pool.take("c"), "c is kept now");
        assertNotNull(pool.take("a"), "a stays");
        assertNull(pool.take("b"), "b is gone");
    }

    @Test
    void shouldRejectANegativeShapeIdleTime()
    {
        final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class,
            () -> new ShellPool<>(2, 2, 2, -1, System::nanoTime, factory, ShellPool::closeQuietly));
        assertTrue(ex.getMessage().contains("shapeIdleNanos=-1"), ex.getMessage());
    }

    @Test
    void shouldDiscardUnwantedShellsOutsideThePoolsLockSoASlowDestroyHoldsUpNoSpawn() throws Exception
    {
        final java.util.List<TestShell> discarded = new java.util.ArrayList<>();
        final java.util.concurrent.atomic.AtomicReference<ShellPool<String, TestShell>> self = new java.util.concurrent.atomic.AtomicReference<>();
        final ShellPool<String, TestShell> pool = new ShellPool<>(2, 1, 2, factory, shell ->
        {
            assertFalse(Thread.holdsLock(self.get()), "a shell is discarded while the pool is locked");
            discarded.add(shell);
        });
        self.set(pool);
        pool.prepare("a");

        pool.prepare("b");

        assertEquals(List.of(made.get(0), made.get(1)), discarded, "a's shells go to the discard, b's stay");
        assertFalse(made.get(0).closed, "closing is the discard's job (the host's teardown threads)");
        assertEquals(2, pool.stats().ready());
        pool.close();
        assertTrue(made.get(2).closed && made.get(3).closed, "closing the pool closes what is ready, on the closing thread");
    }

    @Test
    void shouldTakeAGivenBackShellFirstAndOnlyRefillBelowTheMark()
    {
        final ShellPool<String, TestShell> pool = new ShellPool<>(4, 2, 2, factory);
        pool.prepare(SMALL);
        final TestShell first = pool.take(SMALL);

        assertFalse(pool.wantsFill(), "3 of 4 ready is above the refill mark of 2: the returned shell will top it up");
        assertTrue(pool.giveBack(SMALL, first));
        assertSame(first, pool.take(SMALL), "the shell given back is handed out before the fresh ones");
        pool.take(SMALL);
        pool.take(SMALL);
        assertTrue(pool.wantsFill(), "1 ready is below the mark");
        pool.fill();

        assertEquals(4, pool.stats().ready(), "a refill tops the shape up to the depth");
        assertEquals(new ShellPool.Stats(4, 4, 0, 7, 1, 4), pool.stats());
    }

    @Test
    void shouldRefuseAShellBackWhenTheShapeIsFullDroppedOrThePoolClosed()
    {
        final ShellPool<String, TestShell> pool = new ShellPool<>(1, 1, 1, factory);
        pool.prepare(SMALL);
        final TestShell extra = new TestShell(SMALL);

        assertFalse(pool.hasRoomFor(SMALL), "full");
        assertFalse(pool.giveBack(SMALL, extra), "full");
        assertFalse(pool.giveBack(LARGE, extra), "a shape the pool does not keep");
        final TestShell taken = pool.take(SMALL);
        pool.prepare(LARGE);
        assertFalse(pool.giveBack(SMALL, taken), "its shape was dropped for LARGE");
        pool.take(LARGE);
        pool.close();
        assertFalse(pool.giveBack(LARGE, extra), "closed");
        assertFalse(extra.closed, "a refused shell stays the caller's to close");
    }

    @Test
    void shouldCloseAShellMadeWhileShellsGivenBackFilledTheShape()
    {
        final List<ShellPool<String, TestShell>> pool = new ArrayList<>();
        final List<TestShell> given = new ArrayList<>();
        // The factory stands for a filler thread: while it makes a shell, VMs give theirs back and fill the shape.
        pool.add(new ShellPool<>(2, 1, 1, shape ->
        {
            final TestShell shell = new TestShell(shape);
            made.add(shell);
            if (made.size() == 3)
            {
                for (int i = 0; i < 2; i++)
                {
                    given.add(new TestShell(shape));
                    assertTrue(pool.get(0).giveBack(shape, given.get(i)));
                }
            }
            return shell;
        }));
        pool.get(0).prepare(SMALL);
        pool.get(0).take(SMALL);
        pool.get(0).take(SMALL);
        pool.get(0).fill();

        assertEquals(2, pool.get(0).stats().ready(), "never more than the depth");
        assertTrue(made.get(2).closed, "the shell made meanwhile found the shape full and was closed");
        assertFalse(given.get(0).closed || given.get(1).closed, "the shells given back stay");
    }

    @Test
    void shouldRejectARefillMarkOutsideTheDepth()
    {
        final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, () -> new ShellPool<>(4, 1, 5, factory));
        assertEquals("shell pool refill mark must lie in 1..depth: refillBelow=5 depth=4", ex.getMessage());
    }

    @Test
    void shouldRejectANegativeDepth()
    {
        final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, () -> new ShellPool<>(-1, 4, factory));
        assertEquals("shell pool depth must be 0 (off) or more: depth=-1", ex.getMessage());
    }
}
