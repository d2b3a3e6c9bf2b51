package dev.hatchery.vm;

/** Another process (or tap pool) holds the tap prefix this pool was asked to use; the message names it. */
public final class TapPrefixInUseException extends IllegalStateException
{
    private static final long serialVersionUID = 1L;

    public TapPrefixInUseException(final String message)
    {
        super(message);
    }

    public TapPrefixInUseException(final String message, final Throwable cause)
    {
        super(message, cause);
    }
}
