package dev.hatchery.orchestrator;

import dev.hatchery.vm.VmOutcome;

/** A VM ended before the caller's wait was over (e.g. it could not be built); carries how it ended. */
public final class VmEndedException extends RuntimeException
{
    private static final long serialVersionUID = 1L;

    private final transient VmOutcome outcome;

    public VmEndedException(final String vmId, final VmOutcome outcome)
    {
        super("VM " + vmId + " ended before it ran: " + outcome);
        this.outcome = outcome;
    }

    public VmOutcome outcome()
    {
        return outcome;
    }
}
