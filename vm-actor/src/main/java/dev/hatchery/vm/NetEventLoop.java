package dev.hatchery.vm;

import java.util.List;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

import dev.hatchery.kvm.Epoll;
import dev.hatchery.kvm.EpollEvents;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One epoll thread serving the descriptors (taps, queue ioeventfds) of one VM or of many: each VM
 * {@link #register}s its descriptors and a handler, and gets a {@link Registration} back. Tokens name a
 * registration by a number never reused, not by fd, so an event that was already collected for a VM that
 * has just left is dropped rather than delivered to whoever got the fd number next.
 * <p>
 * Closing a registration removes its descriptors and waits for a dispatch to it that is under way, so once
 * {@link Registration#close()} returns the handler is never called again and the owner may close the fds.
 * <p>
 * Fair sharing: a handler does a bounded amount of work per call and says whether it has more; the loop then
 * {@link Handler#resume() resumes} the registrations with work left in turn, one slice at a time, and collects
 * (without waiting) the events of every registration before each slice: a VM that always has work cannot hold the
 * thread, and a VM with a new event waits for at most the one slice under way, however many VMs have work left.
 * <p>
 * Failures: a handler that throws (an exception or an {@code Error} other than a {@link VirtualMachineError}) loses
 * its registration and is told so ({@link Handler#onLost}); the loop goes on serving the others. A
 * {@code VirtualMachineError}, or anything that breaks the loop itself, ends the thread: every registration is told
 * it lost its loop, the loop refuses new registrations ({@link #isAlive()} is false) and its death listener (the
 * host, which starts a replacement) is called. The loop owns its thread and epoll; the descriptors stay with their owners.
 */
final class NetEventLoop implements AutoCloseable
{
    private static final Logger LOG = LoggerFactory.getLogger(NetEventLoop.class);

    /** A registration's descriptors: token = id << SOURCE_BITS | index. */
    static final int SOURCE_BITS = 4;
    static final int MAX_SOURCES = 1 << SOURCE_BITS;
    private static final int MAX_EVENTS = 64;

    /** Called on the loop thread. */
    interface Handler
    {
        /**
         * Descriptor {@code source} (its index at registration) is ready. Do a bounded amount of work.
         *
         * @return true when work is left (a budget was reached): {@link #resume()} follows after the others' turn
         */
        boolean onReady(int source);

        /** Another bounded slice of the work left over; true when still more is left. */
        default boolean resume()
        {
            return false;
        }

        /** This registration is no longer served (its handler failed, or the loop died); called at most once. */
        default void onLost(final String reason)
        {
        }
    }

    private final String name;
    private final Epoll epoll;
    private final Thread thread;
    private final ConcurrentHashMap<Long, Registration> registrations = new ConcurrentHashMap<>();
    private final AtomicLong nextId = new AtomicLong(1);
    private final AtomicLong lost = new AtomicLong();
    /** Called once, on the dying loop thread, when the loop ends for any reason but {@link #close()}. */
    private final java.util.function.Consumer<NetEventLoop> onDeath;
    private volatile boolean closing;
    /** Set when the thread ended without close(): register() refuses and the host replaces the loop. */
    private volatile boolean dead;
    /** Guards the epoll fd against use after close: add/remove and close take this monitor. */
    private boolean closed;

    private NetEventLoop(final String name, final Epoll epoll, final java.util.function.Consumer<NetEventLoop> onDeath)
    {
        this.name = name;
        this.epoll = epoll;
        this.onDeath = onDeath;
        this.thread = new Thread(this::run, name);
        thread.setDaemon(true);
    }

    /** Opens the epoll and starts the loop thread, named {@code name}. */
    static NetEventLoop start(final String name)
    {
        return start(name, loop -> { });
    }

    /** As above; {@code onDeath} hears of the loop's death (not of its close) so that its owner can replace it. */
    static NetEventLoop start(final String name, final java.util.function.Consumer<NetEventLoop> onDeath)
    {
        final NetEventLoop loop = new NetEventLoop(name, Epoll.create(), Objects.requireNonNull(onDeath, "onDeath"));
        loop.thread.start();
        return loop;
    }

    /** Registrations this loop stopped serving because their handler failed or the loop died. */
    long lost()
    {
        return lost.get();
    }

    /** False once the loop thread died (not closed): it serves nobody and takes no registration. */
    boolean isAlive()
    {
        return !dead && !closing;
    }

    String name()
    {
        return name;
    }

    /** VMs served now. */
    int registrations()
    {
        return registrations.size();
    }

    /** Token of descriptor {@code source} of registration {@code id}. */
    static long token(final long id, final int source)
    {
        return id << SOURCE_BITS | source;
    }

    static long registrationId(final long token)
    {
        return token >>> SOURCE_BITS;
    }

    static int source(final long token)
    {
        return (int)(token & (MAX_SOURCES - 1));
    }

    /**
     * Watches {@code fds[i]} for {@code events[i]} (Epoll.EPOLLIN, possibly | EPOLLET) and calls the handler with
     * {@code i}. On failure nothing stays registered.
     */
    Registration register(final String owner, final int[] fds, final int[] events, final Handler handler)
    {
        if (fds.length != events.length || fds.length == 0 || fds.length > MAX_SOURCES)
        {
            throw new IllegalArgumentException("a registration takes 1 to " + MAX_SOURCES + " fds, one event mask each: fds="
                + fds.length + " events=" + events.length);
        }
        final Registration registration = new Registration(nextId.getAndIncrement(), owner, fds.clone(),
            Objects.requireNonNull(handler, "handler"));
        registrations.put(registration.id, registration);
        int added = 0;
        try
        {
            synchronized (this)
            {
                if (dead)
                {
                    throw new IllegalStateException("net event loop died: loop=" + name + " owner=" + owner);
                }
                if (closed)
                {
                    throw new IllegalStateException("net event loop is closed: loop=" + name + " owner=" + owner);
                }
                for (; added < fds.length; added++)
                {
                    epoll.add(fds[added], events[added], token(registration.id, added));
                }
            }
            return registration;
        }
        catch (final RuntimeException ex)
        {
            registrations.remove(registration.id);
            removeFromEpoll(fds, added);
            throw ex;
        }
    }

    private void run()
    {
        final EpollEvents events = new EpollEvents(MAX_EVENTS);
        final java.util.ArrayDeque<Registration> pending = new java.util.ArrayDeque<>();
        try
        {
            while (!closing)
            {
                // With work left over, only collect what is ready now: the others' events come before another slice.
                final int count = epoll.wait(events, pending.isEmpty() ? -1 : 0);
                for (int i = 0; i < count && !closing; i++)
                {
                    final long token = events.token(i);
                    final Registration registration = registrations.get(registrationId(token));
                    if (registration != null && registration.dispatch(source(token)))
                    {
                        registration.queue(pending);
                    }
                }
                // One slice of the registration whose turn it is, then the events again: a VM whose descriptor became
                // ready meanwhile waits for that one slice, however many VMs on this loop have work left.
                final Registration next = closing ? null : pending.poll();
                if (next != null)
                {
                    next.pending = false;
                    if (next.resumeWork())
                    {
                        next.queue(pending);
                    }
                }
            }
        }
        catch (final RuntimeException | Error ex)
        {
            if (!closing)
            {
                die(ex);
            }
        }
    }

    /** The thread is ending for {@code cause}: nobody is served any more, each registration and the owner hear of it. */
    private void die(final Throwable cause)
    {
        synchronized (this)
        {
            // Nobody will close() a dead loop (its owner replaces it): it lets go of its epoll itself.
            dead = true;
            if (!closed)
            {
                closed = true;
                epoll.close();
            }
        }
        final String reason = "net loop " + name + " died: " + cause;
        LOG.error("vm.net_loop_died loop={} registrations={} error=\"{}\"", name, registrations.size(), cause.toString());
        for (final Registration registration : List.copyOf(registrations.values()))
        {
            registration.lose(reason);
        }
        try
        {
            onDeath.accept(this);
        }
        catch (final RuntimeException ex)
        {
            LOG.warn("vm.net_loop_replace_failed loop={} error=\"{}\"", name, ex.toString());
        }
    }

    private void removeFromEpoll(final int[] fds, final int count)
    {
        synchronized (this)
        {
            if (closed)
            {
                return;
            }
            for (int i = 0; i < count; i++)
            {
                try
                {
                    epoll.remove(fds[i]);
                }
                catch (final RuntimeException ex)
                {
                    LOG.warn("vm.net_loop_remove_failed loop={} fd={} error=\"{}\"", name, fds[i], ex.toString());
                }
            }
        }
    }

    /** Stops the thread, waits for it, and closes the epoll; registrations left over are dropped (their fds stay theirs). */
    @Override
    public void close()
    {
        synchronized (this)
        {
            if (closed)
            {
                return;
            }
            closing = true;
            epoll.wakeup();
        }
        boolean interrupted = false;
        while (thread.isAlive())
        {
            try
            {
                thread.join();
            }
            catch (final InterruptedException ex)
            {
                interrupted = true;
            }
        }
        if (interrupted)
        {
            Thread.currentThread().interrupt();
        }
        synchronized (this)
        {
            closed = true;
            epoll.close();
        }
        if (!registrations.isEmpty())
        {
            LOG.warn("vm.net_loop_closed_with_registrations loop={} registrations={}", name, registrations.size());
            registrations.clear();
        }
    }

    /** One VM's descriptors on this loop; closing it stops all calls to its handler. */
    final class Registration implements AutoCloseable
    {
        private final long id;
        private final String owner;
        private final int[] fds;
        private final Handler handler;
        /** Guarded by this: set once, the handler is not called again. */
        private boolean closed;

        private Registration(final long id, final String owner, final int[] fds, final Handler handler)
        {
            this.id = id;
            this.owner = owner;
            this.fds = fds;
            this.handler = handler;
        }

        /** Queued for a resume slice; only the loop thread touches it. */
        private boolean pending;

        /** On the loop thread; the monitor makes close() wait for a call under way. True when work is left. */
        private synchronized boolean dispatch(final int source)
        {
            if (closed)
            {
                return false;
            }
            try
            {
                return handler.onReady(source);
            }
            catch (final RuntimeException | Error ex)
            {
                failed(ex, "source=" + source);
                return false;
            }
        }

        private synchronized boolean resumeWork()
        {
            if (closed)
            {
                return false;
            }
            try
            {
                return handler.resume();
            }
            catch (final RuntimeException | Error ex)
            {
                failed(ex, "resume");
                return false;
            }
        }

        private void queue(final java.util.ArrayDeque<Registration> queue)
        {
            if (!pending)
            {
                pending = true;
                queue.add(this);
            }
        }

        /** A VirtualMachineError goes on to end the loop (the thread may be in no state to go on); anything else ends only this registration. */
        private void failed(final Throwable ex, final String during)
        {
            if (ex instanceof VirtualMachineError fatal)
            {
                throw fatal;
            }
            LOG.warn("vm.net_handler_failed loop={} owner={} during={} error=\"{}\"; unregistering it", name, owner, during,
                ex.toString());
            lose("net handler failed on loop " + name + ": " + ex);
        }

        /** Unregisters and tells the handler, once. */
        private synchronized void lose(final String reason)
        {
            if (closed)
            {
                return;
            }
            unregister();
            lost.incrementAndGet();
            try
            {
                handler.onLost(reason);
            }
            catch (final RuntimeException ex)
            {
                LOG.warn("vm.net_lost_handler_failed loop={} owner={} error=\"{}\"", name, owner, ex.toString());
            }
        }

        @Override
        public void close()
        {
            synchronized (this)
            {
                if (closed)
                {
                    return;
                }
                unregister();
            }
        }

        private void unregister()
        {
            closed = true;
            registrations.remove(id);
            removeFromEpoll(fds, fds.length);
        }
    }
}
