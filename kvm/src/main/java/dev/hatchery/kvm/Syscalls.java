package dev.hatchery.kvm;

import com.sun.jna.LastErrorException;

/** The one place where errno becomes an exception: every native call in this module goes through here. */
final class Syscalls
{
    private Syscalls()
    {
    }

    /** A KVM (or other) ioctl; {@code facts} are alternating names and values for the error message. */
    static int ioctl(final int fd, final long request, final long arg, final String name, final Object... facts)
    {
        try
        {
            return LibC.ioctl(fd, request, arg);
        }
        catch (final LastErrorException ex)
        {
            throw new KvmException(name, format(facts), ex.getErrorCode());
        }
    }

    static int open(final String path, final int flags)
    {
        try
        {
            return LibC.open(path, flags | LibC.O_CLOEXEC);
        }
        catch (final LastErrorException ex)
        {
            throw new NativeCallException("open", "path=" + path, ex.getErrorCode());
        }
    }

    /** Closes quietly: a failed close(2) still releases the descriptor on Linux, so there is nothing to retry. */
    static void close(final int fd)
    {
        try
        {
            LibC.close(fd);
        }
        catch (final LastErrorException ignored)
        {
            // EINTR/EIO on close: the fd is gone either way.
        }
    }

    static long mmap(final long addr, final long length, final int prot, final int flags, final int fd, final long offset)
    {
        try
        {
            return LibC.mmap(addr, length, prot, flags, fd, offset);
        }
        catch (final LastErrorException ex)
        {
            throw new NativeCallException("mmap", format("length", length, "prot", prot, "flags", "0x" + Integer.toHexString(flags),
                "fd", fd, "offset", offset), ex.getErrorCode());
        }
    }

    static void munmap(final long addr, final long length)
    {
        try
        {
            LibC.munmap(addr, length);
        }
        catch (final LastErrorException ex)
        {
            throw new NativeCallException("munmap", format("addr", "0x" + Long.toHexString(addr), "length", length), ex.getErrorCode());
        }
    }

    static String format(final Object... facts)
    {
        final StringBuilder sb = new StringBuilder();
        for (int i = 0; i + 1 < facts.length; i += 2)
        {
            if (sb.length() > 0)
            {
                sb.append(' ');
            }
            sb.append(facts[i]).append('=').append(facts[i + 1]);
        }
        return sb.toString();
    }

    /**
     * An ioctl on a tap or on a socket that configures an interface. EPERM there means the process lacks
     * CAP_NET_ADMIN, so that exception says so and names what was being done ({@code action}, e.g.
     * {@code creating tap hatch0}).
     */
    static int netIoctl(final int fd, final long request, final long arg, final String action, final String name, final Object... facts)
    {
        try
        {
            return LibC.ioctl(fd, request, arg);
        }
        catch (final LastErrorException ex)
        {
            if (ex.getErrorCode() == Errno.EPERM)
            {
                throw new NetAdminRequiredException(name, format(facts), ex.getErrorCode(), action);
            }
            throw new NativeCallException(name, format(facts), ex.getErrorCode());
        }
    }

    static int eventfd(final int initval, final int flags)
    {
        try
        {
            return LibC.eventfd(initval, flags);
        }
        catch (final LastErrorException ex)
        {
            throw new NativeCallException("eventfd", format("initval", initval, "flags", "0x" + Integer.toHexString(flags)), ex.getErrorCode());
        }
    }

    /** read(2) on a non-blocking descriptor: -1 when nothing is there (EAGAIN); an interrupted read is retried. */
    static long readNonBlocking(final int fd, final long address, final long length, final Object... facts)
    {
        while (true)
        {
            try
            {
                return LibC.read(fd, address, length);
            }
            catch (final LastErrorException ex)
            {
                if (ex.getErrorCode() == Errno.EAGAIN)
                {
                    return -1;
                }
                if (ex.getErrorCode() != Errno.EINTR)
                {
                    throw new NativeCallException("read", format(facts), ex.getErrorCode());
                }
            }
        }
    }

    /** write(2) on a non-blocking descriptor: -1 when it would block (EAGAIN); an interrupted write is retried. */
    static long writeNonBlocking(final int fd, final long address, final long length, final Object... facts)
    {
        while (true)
        {
            try
            {
                return LibC.write(fd, address, length);
            }
            catch (final LastErrorException ex)
            {
                if (ex.getErrorCode() == Errno.EAGAIN)
                {
                    return -1;
                }
                if (ex.getErrorCode() != Errno.EINTR)
                {
                    throw new NativeCallException("write", format(facts), ex.getErrorCode());
                }
            }
        }
    }

    static int socket(final int domain, final int type, final int protocol)
    {
        try
        {
            return LibC.socket(domain, type, protocol);
        }
        catch (final LastErrorException ex)
        {
            throw new NativeCallException("socket", format("domain", domain, "type", "0x" + Integer.toHexString(type), "protocol", protocol),
                ex.getErrorCode());
        }
    }

    static int epollCreate1(final int flags)
    {
        try
        {
            return LibC.epoll_create1(flags);
        }
        catch (final LastErrorException ex)
        {
            throw new NativeCallException("epoll_create1", format("flags", "0x" + Integer.toHexString(flags)), ex.getErrorCode());
        }
    }

    /** epoll_ctl(2); {@code opName} is the C name of {@code op} (EPOLL_CTL_ADD, ...) for the message. */
    static void epollCtl(final int epfd, final int op, final String opName, final int fd, final int events, final long event)
    {
        try
        {
            LibC.epoll_ctl(epfd, op, fd, event);
        }
        catch (final LastErrorException ex)
        {
            throw new NativeCallException("epoll_ctl", format("op", opName, "fd", fd, "events", "0x" + Integer.toHexString(events)),
                ex.getErrorCode());
        }
    }

    /** epoll_wait(2): an interrupted wait (EINTR) reports no events rather than an error. */
    static int epollWait(final int epfd, final long events, final int maxevents, final int timeout)
    {
        try
        {
            return LibC.epoll_wait(epfd, events, maxevents, timeout);
        }
        catch (final LastErrorException ex)
        {
            if (ex.getErrorCode() == Errno.EINTR)
            {
                return 0;
            }
            throw new NativeCallException("epoll_wait", format("epfd", epfd, "maxevents", maxevents, "timeout", timeout), ex.getErrorCode());
        }
    }
}
