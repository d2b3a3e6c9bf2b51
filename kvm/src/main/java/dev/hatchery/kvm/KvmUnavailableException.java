package dev.hatchery.kvm;

/** This process cannot use KVM at all (no device, wrong API, missing capability); the message says how to fix it. */
public final class KvmUnavailableException extends RuntimeException
{
    private static final long serialVersionUID = 1L;

    public KvmUnavailableException(final String message)
    {
        super(message);
    }
}
