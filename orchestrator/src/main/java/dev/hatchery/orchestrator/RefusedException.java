package dev.hatchery.orchestrator;

/** A request the service refused before starting anything; {@link #refusal()} says why and whether to retry. */
public final class RefusedException extends IllegalArgumentException
{
    private static final long serialVersionUID = 1L;

    private final transient Refusal refusal;

    public RefusedException(final Refusal refusal)
    {
        super(refusal.message());
        this.refusal = refusal;
    }

    public Refusal refusal()
    {
        return refusal;
    }
}
