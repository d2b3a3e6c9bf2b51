package dev.hatchery.vm;

import java.util.Objects;
import java.util.Optional;

/**
 * What anyone but a VM's actor sees of the VM: an immutable copy taken by the actor (its state, timeline so
 * far, console tail, address) or, once it ended, its result. Reading it never touches the VM.
 *
 * @param address null without network
 * @param outcome null until the VM ended
 */
public record VmSnapshot(String vmId, VmState state, VmAddress address, Timeline timeline, String console, VmOutcome outcome)
{
    public VmSnapshot
    {
        Objects.requireNonNull(vmId, "vmId");
        Objects.requireNonNull(state, "state");
        Objects.requireNonNull(timeline, "timeline");
        Objects.requireNonNull(console, "console");
        if ((state == VmState.ENDED) != (outcome != null))
        {
            throw new IllegalArgumentException("an ended VM has an outcome, and only an ended one: vm=" + vmId + " state=" + state
                + " outcome=" + outcome);
        }
    }

    /** A VM accepted but not built yet. */
    public static VmSnapshot starting(final String vmId)
    {
        return new VmSnapshot(vmId, VmState.STARTING, null, new Timeline(), "", null);
    }

    /** A VM that ended, as its result says; {@code address} is where it was reached, if it had network. */
    public static VmSnapshot ended(final VmResult result, final VmAddress address)
    {
        return new VmSnapshot(result.vmId(), VmState.ENDED, address, result.timeline(), result.console(), result.outcome());
    }

    public Optional<VmAddress> optionalAddress()
    {
        return Optional.ofNullable(address);
    }

    public Optional<VmOutcome> optionalOutcome()
    {
        return Optional.ofNullable(outcome);
    }
}
