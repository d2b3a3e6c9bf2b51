package dev.hatchery.orchestrator.function;

/** A new function is refused because as many are deployed as the service keeps (hatchery.functions.max-functions): 429. */
public final class TooManyFunctionsException extends IllegalStateException
{
    private static final long serialVersionUID = 1L;

    public TooManyFunctionsException(final int deployed, final int max)
    {
        super("there are " + deployed + " functions deployed, the most this service keeps (hatchery.functions.max-functions=" + max
            + "); delete one first");
    }
}
