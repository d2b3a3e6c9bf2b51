package dev.hatchery.vm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;

class CloneTemplatesTest
{
    /** Stands in for a captured template: its size, and whether it was closed. */
    private static final class Image implements AutoCloseable
    {
        final String key;
        final long bytes;
        boolean closed;

        Image(final String key, final long bytes)
        {
            this.key = key;
            this.bytes = bytes;
        }

        @Override
        public void close()
        {
            closed = true;
        }
    }

    private final AtomicInteger made = new AtomicInteger();
    private final List<Image> images = new ArrayList<>();
    private final CloneTemplates<String, Image> templates = new CloneTemplates<>(2, image -> image.bytes);

    private Image make(final String key)
    {
        made.incrementAndGet();
        final Image image = new Image(key, 1000L * (images.size() + 1));
        images.add(image);
        return image;
    }

    @Test
    void shouldMakeEachKeyOnceAndShareItWhileHeld()
    {
        final CloneTemplates.Hold<Image> first = templates.acquire("a", this::make);
        final CloneTemplates.Hold<Image> second = templates.acquire("a", this::make);

        assertSame(first.value(), second.value());
        assertEquals(1, made.get());
        assertEquals(new CloneTemplates.Stats(1, 1, 1000, 0, 2), templates.stats());
        first.release();
        first.release();
        second.release();
        assertEquals(new CloneTemplates.Stats(1, 0, 1000, 0, 2), templates.stats());
    }

    @Test
    void shouldDropTheLeastRecentlyUsedUnheldTemplatesBeyondTheBoundButNeverAHeldOne()
    {
        final CloneTemplates.Hold<Image> a = templates.acquire("a", this::make);
        templates.acquire("b", this::make).release();
        templates.acquire("c", this::make).release();

        // "a" is held: "b", the least recently used of the unheld ones, goes.
        assertFalse(images.get(0).closed, "a held");
        assertTrue(images.get(1).closed, "b dropped");
        assertFalse(images.get(2).closed, "c kept");
        assertEquals(new CloneTemplates.Stats(2, 1, 4000, 1, 2), templates.stats());

        a.release();
        templates.acquire("d", this::make).release();

        assertTrue(images.get(0).closed, "a dropped once unheld");
        assertEquals(2, templates.stats().kept());
        assertEquals(2, templates.stats().dropped());
    }

    @Test
    void shouldKeepNoTemplateThatCouldNotBeMadeSoTheNextCallerTriesAgain()
    {
        final IllegalStateException failed = assertThrows(IllegalStateException.class,
            () -> templates.acquire("a", key -> { throw new IllegalStateException("template VM never got ready"); }));

        assertEquals("template VM never got ready", failed.getMessage());
        assertEquals(0, templates.stats().kept());
        assertEquals("a", templates.acquire("a", this::make).value().key);
    }

    @Test
    void shouldLetConcurrentCallersWaitForTheOneBeingMade() throws Exception
    {
        final CountDownLatch making = new CountDownLatch(1);
        final CountDownLatch proceed = new CountDownLatch(1);
        final ExecutorService pool = Executors.newFixedThreadPool(2);
        try
        {
            final Future<CloneTemplates.Hold<Image>> maker = pool.submit(() -> templates.acquire("a", key ->
            {
                making.countDown();
                await(proceed);
                return make(key);
            }));
            assertTrue(making.await(10, TimeUnit.SECONDS));
            final Future<CloneTemplates.Hold<Image>> waiter = pool.submit(() -> templates.acquire("a", this::make));
            proceed.countDown();

            assertSame(maker.get(10, TimeUnit.SECONDS).value(), waiter.get(10, TimeUnit.SECONDS).value());
            assertEquals(1, made.get());
        }
        finally
        {
            pool.shutdownNow();
        }
    }

    @Test
    void shouldCloseUnheldTemplatesOnCloseAndHeldOnesWhenGivenBack()
    {
        final CloneTemplates.Hold<Image> held = templates.acquire("a", this::make);
        templates.acquire("b", this::make).release();

        templates.close();

        assertFalse(images.get(0).closed);
        assertTrue(images.get(1).closed);
        held.release();
        assertTrue(images.get(0).closed);
        assertThrows(IllegalStateException.class, () -> templates.acquire("c", this::make));
    }

    private static void await(final CountDownLatch latch)
    {
        try
        {
            latch.await(10, TimeUnit.SECONDS);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
    }
}
