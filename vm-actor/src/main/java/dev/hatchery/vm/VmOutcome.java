package dev.hatchery.vm;

import java.util.Objects;

/**
 * How a VM ended: exactly one per VM. A VM that booted has no {@code failure}; any other carries the typed
 * {@link VmFailure}, whose kind decides how the VM is counted. {@code reason} says how it ended in words a
 * user can act on, with this VM's own detail.
 */
public record VmOutcome(Kind kind, String reason, VmFailure failure)
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

    public VmOutcome
    {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(reason, "reason");
        if ((kind == Kind.BOOTED) != (failure == null) || failure != null && failure.outcomeKind() != kind)
        {
            throw new IllegalArgumentException("outcome kind and failure disagree: kind=" + kind + " failure=" + failure);
        }
    }

    /** The VM reached boot-complete; {@code how} says how it then stopped. */
    public static VmOutcome booted(final String how)
    {
        return new VmOutcome(Kind.BOOTED, how, null);
    }

    /** The VM ended without booting, or broke down, in the way {@code failure} says. */
    public static VmOutcome of(final VmFailure failure)
    {
        return new VmOutcome(failure.outcomeKind(), failure.describe(), failure);
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
