package dev.hatchery.orchestrator;

/**
 * Why the service did not take a request, and whether asking again can help: {@code INVALID} requests
 * never fit, {@code BUSY} and {@code TOO_MANY} ones may fit once running VMs or batches end.
 * {@code field} names the request field at fault, or is null when no single field is.
 */
public record Refusal(Kind kind, String field, String message)
{
    /** The kinds of refusal; the HTTP layer maps them to 400, 503 and 429. */
    public enum Kind
    {
        INVALID,
        BUSY,
        TOO_MANY
    }

    public static Refusal invalid(final String field, final String message)
    {
        return new Refusal(Kind.INVALID, field, message);
    }

    public static Refusal busy(final String message)
    {
        return new Refusal(Kind.BUSY, null, message);
    }

    public static Refusal tooMany(final String message)
    {
        return new Refusal(Kind.TOO_MANY, null, message);
    }
}
