package dev.hatchery.kvm;

/** A KVM ioctl that failed; {@link #call()} is the request's name from {@code linux/kvm.h}. */
public final class KvmException extends NativeCallException
{
    private static final long serialVersionUID = 1L;

    public KvmException(final String request, final String facts, final int errno)
    {
        super(request, facts, errno);
    }
}
