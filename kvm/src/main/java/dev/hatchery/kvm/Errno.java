package dev.hatchery.kvm;

/** Symbolic names of the Linux x86-64 errno values, for messages a reader can look up. */
public final class Errno
{
    public static final int EPERM = 1;
    public static final int ENOENT = 2;
    public static final int EINTR = 4;
    public static final int EIO = 5;
    public static final int EBADF = 9;
    public static final int EAGAIN = 11;
    public static final int ENOMEM = 12;
    public static final int EACCES = 13;
    public static final int EFAULT = 14;
    public static final int EBUSY = 16;
    public static final int EEXIST = 17;
    public static final int ENODEV = 19;
    public static final int EINVAL = 22;
    public static final int ENOTTY = 25;

    private static final String[] NAMES = new String[134];

    static
    {
        final String[] table = {
            "1 EPERM", "2 ENOENT", "3 ESRCH", "4 EINTR", "5 EIO", "6 ENXIO", "7 E2BIG", "8 ENOEXEC",
            "9 EBADF", "10 ECHILD", "11 EAGAIN", "12 ENOMEM", "13 EACCES", "14 EFAULT", "16 EBUSY",
            "17 EEXIST", "18 EXDEV", "19 ENODEV", "20 ENOTDIR", "21 EISDIR", "22 EINVAL", "23 ENFILE",
            "24 EMFILE", "25 ENOTTY", "26 ETXTBSY", "27 EFBIG", "28 ENOSPC", "29 ESPIPE", "30 EROFS",
            "32 EPIPE", "34 ERANGE", "35 EDEADLK", "38 ENOSYS", "75 EOVERFLOW", "95 EOPNOTSUPP",
            "98 EADDRINUSE", "99 EADDRNOTAVAIL", "100 ENETDOWN", "101 ENETUNREACH", "110 ETIMEDOUT"};
        for (final String entry : table)
        {
            final int space = entry.indexOf(' ');
            NAMES[Integer.parseInt(entry.substring(0, space))] = entry.substring(space + 1);
        }
    }

    private Errno()
    {
    }

    /** The symbolic name, e.g. {@code ENOMEM}, or {@code errno<n>} for values without one here. */
    public static String name(final int errno)
    {
        final String name = errno > 0 && errno < NAMES.length ? NAMES[errno] : null;
        return name != null ? name : "errno" + errno;
    }
}
