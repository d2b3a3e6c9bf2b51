package dev.hatchery.vm;

import java.util.Deque;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

import dev.hatchery.kvm.RunSignalMask;
import dev.hatchery.kvm.VcpuKick;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Parked platform threads that run vCPUs, so that a spawn hands its vCPU to a thread that already exists
 * instead of starting one. A thread still runs one VM at a time and is that VM's alone until it returns
 * (KVM_RUN blocks). Each thread blocks the kick signal once, for its life ({@link VcpuKick}). Spares are
 * made ahead by {@link #topUp()}, off the spawn path; a spawn that finds none starts a thread itself and
 * counts it ({@link #startedOnSpawn()}).
 */
final class VcpuThreads implements AutoCloseable
{
    /** What a vCPU thread runs for one VM. */
    interface Task
    {
        void run(VcpuThread thread);
    }

    /** The facts about the running thread a VM needs: whom to kick, and the mask for its KVM_RUN. */
    record VcpuThread(long pthread, RunSignalMask runMask, Runnable returning)
    {
        /**
         * Called by the task just before it reports its VM's end: this thread parks again right after, so a top-up
         * meanwhile (the report may trigger the next spawn, which takes a spare) does not start one more thread for
         * it. Without it, each such race kept one thread more than the spares for good.
         */
        void announceReturn()
        {
            returning.run();
        }
    }

    private static final Logger LOG = LoggerFactory.getLogger(VcpuThreads.class);

    private final int spares;
    /** Most recently parked first: a thread that ran just now has the warmest caches. */
    private final Deque<Worker> idle = new ConcurrentLinkedDeque<>();
    private final AtomicInteger idleCount = new AtomicInteger();
    /** Threads whose task announced its return ({@link VcpuThread#announceReturn}) and that have not parked yet. */
    private final AtomicInteger returning = new AtomicInteger();
    private final AtomicInteger started = new AtomicInteger();
    private final AtomicLong startedOnSpawn = new AtomicLong();
    private volatile boolean closed;

    VcpuThreads(final int spares)
    {
        if (spares < 0)
        {
            throw new IllegalArgumentException("spare vCPU threads must be 0 or more: spares=" + spares);
        }
        this.spares = spares;
    }

    /** Runs {@code task} on a parked thread, or on a new one when none is parked. */
    void execute(final Task task)
    {
        if (closed)
        {
            throw new IllegalStateException("vCPU threads are closed");
        }
        final Worker worker = idle.pollFirst();
        if (worker != null)
        {
            idleCount.decrementAndGet();
            worker.hand(task);
            // The woken vCPU thread is what the spawn waits for; the caller's remaining work (bookkeeping, its next
            // message) is not. Where CPUs are scarce (a busy host; the lab has one) the woken thread would otherwise
            // wait for the caller's time slice: measured in the lab, 6.3 ms from vCPU ready to first KVM_RUN.
            Thread.yield();
            return;
        }
        startedOnSpawn.incrementAndGet();
        start(task);
    }

    /** Whether fewer than the wanted spares are parked (the host's filler then calls {@link #topUp()}). */
    boolean wantsTopUp()
    {
        return !closed && idleCount.get() + returning.get() < spares;
    }

    /** Starts threads until the wanted number of spares is parked. Off the spawn path. */
    synchronized void topUp()
    {
        while (wantsTopUp())
        {
            final Worker worker = start(null);
            if (!worker.awaitParked())
            {
                // It died setting itself up (logged there): starting more would only repeat that.
                return;
            }
        }
    }

    /** Threads parked now. */
    int idle()
    {
        return idleCount.get();
    }

    /** Threads started in all. */
    int started()
    {
        return started.get();
    }

    /** Threads a spawn had to start because none was parked. */
    long startedOnSpawn()
    {
        return startedOnSpawn.get();
    }

    private Worker start(final Task first)
    {
        final Worker worker = new Worker(first);
        final Thread thread = new Thread(worker, "vcpu-" + started.incrementAndGet());
        thread.setDaemon(true);
        worker.thread = thread;
        thread.start();
        return worker;
    }

    /** Parked threads end now; a thread running a VM ends when the VM returns. */
    @Override
    public void close()
    {
        closed = true;
        Worker worker;
        while ((worker = idle.pollFirst()) != null)
        {
            idleCount.decrementAndGet();
            LockSupport.unpark(worker.thread);
        }
    }

    private final class Worker implements Runnable
    {
        private volatile Task task;
        /** Set once, the first time the thread parks: {@link #topUp()} waits for it so it counts each spare once. */
        private volatile boolean parkedOnce;
        /** Only this worker's thread reads and writes it. */
        private boolean announcedReturn;
        private Thread thread;

        Worker(final Task first)
        {
            this.task = first;
        }

        void hand(final Task next)
        {
            task = next;
            LockSupport.unpark(thread);
        }

        /** On this worker's own thread, from its task: see {@link VcpuThread#announceReturn}. */
        private void announceReturn()
        {
            if (!announcedReturn)
            {
                announcedReturn = true;
                returning.incrementAndGet();
            }
        }

        private void endReturn()
        {
            if (announcedReturn)
            {
                announcedReturn = false;
                returning.decrementAndGet();
            }
        }

        /** Waits until the new thread has parked; false if it ended instead. */
        boolean awaitParked()
        {
            while (!parkedOnce && thread.isAlive())
            {
                Thread.onSpinWait();
                Thread.yield();
            }
            return parkedOnce;
        }

        @Override
        public void run()
        {
            final VcpuThread self;
            try
            {
                self = new VcpuThread(VcpuKick.currentThread(), VcpuKick.blockOnCurrentThread(), this::announceReturn);
            }
            catch (final RuntimeException | Error ex)
            {
                LOG.error("vcpu_thread.start_failed thread={} error=\"{}\"", thread.getName(), ex.toString());
                final Task orphan = task;
                if (orphan != null)
                {
                    orphan.run(null);
                }
                return;
            }
            while (true)
            {
                Task next = task;
                if (next == null)
                {
                    if (closed)
                    {
                        endReturn();
                        return;
                    }
                    idle.addFirst(this);
                    idleCount.incrementAndGet();
                    // Counted as parked before it stops counting as returning: the two never dip together.
                    endReturn();
                    parkedOnce = true;
                    while ((next = task) == null && !closed)
                    {
                        LockSupport.park(this);
                    }
                    if (next == null)
                    {
                        return;
                    }
                }
                task = null;
                try
                {
                    next.run(self);
                }
                catch (final RuntimeException | Error ex)
                {
                    LOG.error("vcpu_thread.task_failed thread={} error=\"{}\"", thread.getName(), ex.toString());
                }
                // A kick that arrived after the VM's last KVM_RUN would end the next VM's first one at once.
                VcpuKick.discardPending();
            }
        }
    }
}
