package dev.hatchery.vm;

/** How a VM ended: exactly one per VM. {@code reason} says why in words a user can act on. */
public record VmOutcome(Kind kind, String reason)
{
    /** The four ways a VM can end. */
    public enum Kind
    {
        /** Reached boot-complete, then stopped (guest reset/shutdown, or a stop request). */
        BOOTED,
        /** Never reached boot-complete or broke down: bad kernel, triple fault, internal error, failed entry. */
        FAILED,
        /** No boot-complete within the boot timeout. */
        TIMED_OUT,
        /** Stopped on request before boot-complete. */
        CANCELLED
    }

    public static VmOutcome booted(final String reason)
    {
        return new VmOutcome(Kind.BOOTED, reason);
    }

    public static VmOutcome failed(final String reason)
    {
        return new VmOutcome(Kind.FAILED, reason);
    }

    public static VmOutcome timedOut(final String reason)
    {
        return new VmOutcome(Kind.TIMED_OUT, reason);
    }

    public static VmOutcome cancelled(final String reason)
    {
        return new VmOutcome(Kind.CANCELLED, reason);
    }

    public boolean isBooted()
    {
        return kind == Kind.BOOTED;
    }

    @Override
    public String toString()
    {
        return kind.name().toLowerCase(java.util.Locale.ROOT) + " (" + reason + ")";
    }
}
