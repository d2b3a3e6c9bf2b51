package dev.hatchery.kvm;

/**
 * An epoll(7) instance for a device loop thread, with its own wake-up {@link EventFd}: {@link #wakeup()}
 * from any thread makes a blocked (or the next) {@link #wait} return, which is how a loop is told to check
 * its stop flag. The wake-up never appears among the returned events. One owner closes it, after the loop
 * thread has finished.
 */
public final class Epoll implements AutoCloseable
{
    public static final int EPOLLIN = 0x001;
    public static final int EPOLLOUT = 0x004;
    public static final int EPOLLERR = 0x008;
    public static final int EPOLLHUP = 0x010;
    public static final int EPOLLRDHUP = 0x2000;
    public static final int EPOLLET = 1 << 31;
    /** Reserved for the wake-up eventfd; {@link #add} refuses it. */
    public static final long WAKEUP_TOKEN = Long.MIN_VALUE;

    static final int EPOLL_CLOEXEC = 0x80000;
    static final int EPOLL_CTL_ADD = 1;
    static final int EPOLL_CTL_DEL = 2;
    static final int EPOLL_CTL_MOD = 3;

    private final int fd;
    private final EventFd wakeup;
    /** The one struct epoll_event that add/modify pass in; guarded by this. */
    private final EpollEvents control = new EpollEvents(1);
    private boolean closed;

    private Epoll(final int fd, final EventFd wakeup)
    {
        this.fd = fd;
        this.wakeup = wakeup;
    }

    public static Epoll create()
    {
        final int fd = Syscalls.epollCreate1(EPOLL_CLOEXEC);
        EventFd wakeup = null;
        try
        {
            wakeup = EventFd.create();
            final Epoll epoll = new Epoll(fd, wakeup);
            epoll.control(EPOLL_CTL_ADD, "EPOLL_CTL_ADD", wakeup.fd(), EPOLLIN, WAKEUP_TOKEN);
            return epoll;
        }
        catch (final RuntimeException ex)
        {
            if (wakeup != null)
            {
                wakeup.close();
            }
            Syscalls.close(fd);
            throw ex;
        }
    }

    /** Watches {@code fd} for {@code events} (EPOLLIN, ...); {@link EpollEvents#token} reports {@code token} for it. */
    public void add(final int fd, final int events, final long token)
    {
        control(EPOLL_CTL_ADD, "EPOLL_CTL_ADD", fd, events, checkToken(token));
    }

    public void modify(final int fd, final int events, final long token)
    {
        control(EPOLL_CTL_MOD, "EPOLL_CTL_MOD", fd, events, checkToken(token));
    }

    public void remove(final int fd)
    {
        Syscalls.epollCtl(this.fd, EPOLL_CTL_DEL, "EPOLL_CTL_DEL", fd, 0, 0);
    }

    /**
     * Waits up to {@code timeoutMillis} (-1: no limit, 0: just look) and returns how many events were filled in
     * at the front of {@code events}: 0 after a timeout, a {@link #wakeup()} or a signal (EINTR).
     */
    public int wait(final EpollEvents events, final int timeoutMillis)
    {
        int count = Syscalls.epollWait(fd, events.address(), events.capacity(), timeoutMillis);
        for (int i = 0; i < count; i++)
        {
            if (events.token(i) == WAKEUP_TOKEN)
            {
                wakeup.drain();
                count--;
                events.copy(count, i);
                break;
            }
        }
        return count;
    }

    /** Makes the waiting thread's {@link #wait} return now, or its next one return at once; safe from any thread. */
    public void wakeup()
    {
        wakeup.signal();
    }

    @Override
    public synchronized void close()
    {
        if (!closed)
        {
            closed = true;
            wakeup.close();
            Syscalls.close(fd);
        }
    }

    private synchronized void control(final int op, final String opName, final int fd, final int events, final long token)
    {
        control.set(0, events, token);
        Syscalls.epollCtl(this.fd, op, opName, fd, events, control.address());
    }

    private static long checkToken(final long token)
    {
        if (token == WAKEUP_TOKEN)
        {
            throw new IllegalArgumentException("token is reserved for the wake-up eventfd: token=" + token);
        }
        return token;
    }
}
