package dev.hatchery.vm;

/** Every tap of the pool is leased: the VM cannot get a network now. */
public final class TapPoolExhaustedException extends IllegalStateException
{
    private static final long serialVersionUID = 1L;

    public TapPoolExhaustedException(final String message)
    {
        super(message);
    }
}
