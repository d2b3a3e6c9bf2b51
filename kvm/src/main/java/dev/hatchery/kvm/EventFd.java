package dev.hatchery.kvm;

/**
 * An eventfd(2) counter, non-blocking and close-on-exec: one side {@link #signal()}s, the other
 * {@link #drain()}s it or waits for it in an {@link Epoll}. KVM signals one for an ioeventfd and consumes
 * one for an irqfd. One owner closes it, after the threads that signal or drain it have stopped.
 */
public final class EventFd implements AutoCloseable
{
    static final int EFD_NONBLOCK = 0x800;
    static final int EFD_CLOEXEC = 0x80000;
    /** An eventfd is read and written 8 bytes (one u64) at a time. */
    static final int COUNTER_LENGTH = 8;

    private final int fd;
    /** Holds 1 and is never written again, so threads signalling at the same time can share it. */
    private final Counter one;
    private final Counter drained;
    private boolean closed;

    private EventFd(final int fd)
    {
        this.fd = fd;
        one = new Counter();
        one.buffer.putLong(0, 1);
        drained = new Counter();
    }

    public static EventFd create()
    {
        final int fd = Syscalls.eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        try
        {
            return new EventFd(fd);
        }
        catch (final RuntimeException ex)
        {
            Syscalls.close(fd);
            throw ex;
        }
    }

    public int fd()
    {
        return fd;
    }

    /** Adds 1 to the counter; safe from any thread. A counter at its maximum is already signalled, so that is not an error. */
    public void signal()
    {
        Syscalls.writeNonBlocking(fd, one.address(), COUNTER_LENGTH, "eventfd", fd);
    }

    /** Reads and resets the counter: the number of signals since the last drain, or 0 when there were none. */
    public synchronized long drain()
    {
        final long read = Syscalls.readNonBlocking(fd, drained.address(), COUNTER_LENGTH, "eventfd", fd);
        return read < 0 ? 0 : drained.buffer.getLong(0);
    }

    @Override
    public synchronized void close()
    {
        if (!closed)
        {
            closed = true;
            Syscalls.close(fd);
        }
    }

    /** The u64 that read(2) and write(2) transfer. */
    private static final class Counter extends NativeStruct
    {
        Counter()
        {
            super(COUNTER_LENGTH);
        }
    }
}
