package dev.hatchery.vm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ManagementFactory;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import dev.hatchery.kvm.VcpuKick;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The pool of parked vCPU threads, and kicks to them, without KVM (real threads and real signals). */
class VcpuThreadsTest
{
    private VcpuThreads threads;

    @AfterEach
    void close()
    {
        if (threads != null)
        {
            threads.close();
        }
    }

    @Test
    void shouldRunTasksOnParkedThreadsWithoutStartingAny() throws Exception
    {
        threads = new VcpuThreads(2);
        threads.topUp();
        assertEquals(2, threads.started());
        assertEquals(2, threads.idle());

        for (int i = 0; i < 20; i++)
        {
            final CompletableFuture<String> ran = new CompletableFuture<>();
            threads.execute(thread -> ran.complete(Thread.currentThread().getName()));
            assertTrue(ran.get(5, TimeUnit.SECONDS).startsWith("vcpu-"));
            awaitIdle(2);
        }

        assertEquals(2, threads.started());
        assertEquals(0, threads.startedOnSpawn());
    }

    @Test
    void shouldStartAThreadWhenNoneIsParkedAndCountIt() throws Exception
    {
        threads = new VcpuThreads(0);
        final CompletableFuture<VcpuThreads.VcpuThread> ran = new CompletableFuture<>();

        threads.execute(ran::complete);

        final VcpuThreads.VcpuThread thread = ran.get(5, TimeUnit.SECONDS);
        assertNotNull(thread);
        assertNotEquals(0, thread.pthread());
        assertEquals(1, threads.startedOnSpawn());
        assertFalse(threads.wantsTopUp());
    }

    @Test
    void shouldDedicateAThreadToOneTaskUntilItReturns() throws Exception
    {
        threads = new VcpuThreads(2);
        threads.topUp();
        final CountDownLatch release = new CountDownLatch(1);
        final CompletableFuture<Long> first = new CompletableFuture<>();
        final CompletableFuture<Long> second = new CompletableFuture<>();

        threads.execute(thread ->
        {
            first.complete(thread.pthread());
            await(release);
        });
        threads.execute(thread -> second.complete(thread.pthread()));

        assertNotEquals(first.get(5, TimeUnit.SECONDS), second.get(5, TimeUnit.SECONDS));
        release.countDown();
        awaitIdle(2);
    }

    /**
     * A VM's end is reported from its vCPU thread just before the thread parks again; the report may start the next
     * VM, which takes a spare. Once the thread has announced its return, the pool does not start one more for it.
     */
    @Test
    void shouldStartNoSpareForAThreadThatAnnouncedItsReturn() throws Exception
    {
        threads = new VcpuThreads(1);
        threads.topUp();
        final CountDownLatch announced = new CountDownLatch(1);
        final CountDownLatch release = new CountDownLatch(1);
        final CompletableFuture<Boolean> wantedWhileRunning = new CompletableFuture<>();

        threads.execute(thread ->
        {
            wantedWhileRunning.complete(threads.wantsTopUp());
            thread.announceReturn();
            thread.announceReturn();
            announced.countDown();
            await(release);
        });

        assertTrue(wantedWhileRunning.get(5, TimeUnit.SECONDS), "the one spare is running a VM: one is wanted");
        assertTrue(announced.await(5, TimeUnit.SECONDS));
        assertFalse(threads.wantsTopUp(), "the running thread is about to park: none is wanted for it");
        threads.topUp();
        release.countDown();
        awaitIdle(1);
        assertEquals(1, threads.started(), "no thread was started beside it");
        assertFalse(threads.wantsTopUp(), "parked, it counts once (announcing twice counts once)");
    }

    /**
     * A kick to a vCPU thread stays pending on it (the thread blocks the signal outside KVM_RUN): no handler runs, so
     * no thread starts for it, and the pool takes it off the thread before its next task.
     */
    @Test
    void shouldLeaveAKickPendingStartNoThreadForItAndDiscardItBeforeTheNextTask() throws Exception
    {
        VcpuKick.installHandler();
        threads = new VcpuThreads(1);
        threads.topUp();
        final CompletableFuture<Boolean> pendingAfterKicks = new CompletableFuture<>();
        final long startedBefore = ManagementFactory.getThreadMXBean().getTotalStartedThreadCount();

        threads.execute(thread ->
        {
            for (int i = 0; i < 100; i++)
            {
                VcpuKick.kick(thread.pthread());
            }
            // Non-realtime signals coalesce: one is pending, and taking it off is how the thread knows.
            pendingAfterKicks.complete(VcpuKick.discardPending() | kickAndCheck(thread));
        });
        assertTrue(pendingAfterKicks.get(5, TimeUnit.SECONDS));
        final long startedDuringKicks = ManagementFactory.getThreadMXBean().getTotalStartedThreadCount() - startedBefore;
        awaitIdle(1);

        final CompletableFuture<Boolean> pendingOnNextTask = new CompletableFuture<>();
        threads.execute(thread -> pendingOnNextTask.complete(VcpuKick.discardPending()));

        assertFalse(pendingOnNextTask.get(5, TimeUnit.SECONDS), "the kick left pending by the last task must be gone");
        // A Java signal handler would have started one thread per delivered kick; allow for unrelated JVM threads.
        assertTrue(startedDuringKicks < 5, "threads started while kicking: " + startedDuringKicks);
    }

    /** Kicks again and leaves the kick pending, for the pool to discard after the task. */
    private static boolean kickAndCheck(final VcpuThreads.VcpuThread thread)
    {
        VcpuKick.kick(thread.pthread());
        return true;
    }

    @Test
    void shouldEndParkedThreadsOnClose() throws Exception
    {
        threads = new VcpuThreads(3);
        threads.topUp();
        assertEquals(3, countLiveVcpuThreads());

        threads.close();

        for (int i = 0; i < 100 && countLiveVcpuThreads() > 0; i++)
        {
            Thread.sleep(20);
        }
        assertEquals(0, countLiveVcpuThreads());
        assertFalse(threads.wantsTopUp());
    }

    private static long countLiveVcpuThreads()
    {
        return Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().startsWith("vcpu-") && t.isAlive()).count();
    }

    private void awaitIdle(final int count) throws InterruptedException
    {
        for (int i = 0; i < 500 && threads.idle() < count; i++)
        {
            Thread.sleep(10);
        }
        assertEquals(count, threads.idle());
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
