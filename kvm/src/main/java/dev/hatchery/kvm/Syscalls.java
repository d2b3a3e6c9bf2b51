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
}
