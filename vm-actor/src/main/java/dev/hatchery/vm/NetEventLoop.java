package dev.hatchery.vm;

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
 * A handler that throws is logged and unregistered; the loop goes on serving the others.
 * The loop owns its thread and epoll; the registered descriptors stay with their owners.
 */
final class NetEventLoop implements AutoCloseable
{
    private static final Logger LOG = LoggerFactory.getLogger(NetEventLoop.class);

    /** A registration's descriptors: token = id << SOURCE_BITS | index. */
    static final int SOURCE_BITS = 4;
    static final int MAX_SOURCES = 1 << SOURCE_BITS;
    private static final int MAX_EVENTS = 64;

    /** Called on the loop thread when descriptor {@code source} (its index at registration) is ready. */
    interface Handler
    {
        void onReady(int source);
    }

    private final String name;
    private final Epoll epoll;
    private final Thread thread;
    private final ConcurrentHashMap<Long, Registration> registrations = new ConcurrentHashMap<>();
    private final AtomicLong nextId = new AtomicLong(1);
    private volatile boolean closing;
    /** Guards the epoll fd against use after close: add/remove and close take this monitor. */
    private boolean closed;

    private NetEventLoop(final String name, final Epoll epoll)
    {
        this.name = name;
        this.epoll = epoll;
        this.thread = new Thread(this::run, name);
        thread.setDaemon(true);
    }

    /** Opens the epoll and starts the loop thread, named {@code name}. */
    static NetEventLoop start(final String name)
    {
        final NetEventLoop loop = new NetEventLoop(name, Epoll.create());
        loop.thread.start();
        return loop;
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
        try
        {
            while (!closing)
            {
                final int count = epoll.wait(events, -1);
                for (int i = 0; i < count && !closing; i++)
                {
                    final long token = events.token(i);
                    final Registration registration = registrations.get(registrationId(token));
                    if (registration != null)
                    {
                        registration.dispatch(source(token));
                    }
                }
            }
        }
        catch (final RuntimeException | Error ex)
        {
            LOG.warn("vm.net_loop_failed loop={} registrations={} error=\"{}\"", name, registrations.size(), ex.toString());
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

        /** On the loop thread; the monitor makes close() wait for a call under way. */
        private synchronized void dispatch(final int source)
        {
            if (closed)
            {
                return;
            }
            try
            {
                handler.onReady(source);
            }
            catch (final RuntimeException ex)
            {
                LOG.warn("vm.net_handler_failed loop={} owner={} source={} error=\"{}\"; unregistering it", name, owner, source,
                    ex.toString());
                unregister();
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
