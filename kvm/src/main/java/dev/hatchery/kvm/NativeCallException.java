package dev.hatchery.kvm;

/**
 * A failed system call: which call, the arguments that matter, and the errno by number and name,
 * e.g. {@code KVM_SET_USER_MEMORY_REGION failed: slot=0 size=134217728 errno=12 (ENOMEM)}.
 */
public class NativeCallException extends RuntimeException
{
    private static final long serialVersionUID = 1L;

    private final String call;
    private final int errno;

    public NativeCallException(final String call, final String facts, final int errno)
    {
        super(call + " failed: " + (facts.isEmpty() ? "" : facts + " ") + "errno=" + errno + " (" + Errno.name(errno) + ")");
        this.call = call;
        this.errno = errno;
    }

    /** The C function or ioctl request name, e.g. {@code KVM_CREATE_VM} or {@code mmap}. */
    public String call()
    {
        return call;
    }

    public int errno()
    {
        return errno;
    }

    public String errnoName()
    {
        return Errno.name(errno);
    }
}
