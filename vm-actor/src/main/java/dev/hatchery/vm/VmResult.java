package dev.hatchery.vm;

import java.util.Objects;

/** Everything known about a VM once it has ended, and how it was made. */
public record VmResult(String vmId, VmOutcome outcome, Timeline timeline, String console, long exits, SpawnPath spawnPath)
{
    public VmResult
    {
        Objects.requireNonNull(spawnPath, "spawnPath");
    }

    /** A VM that was never built. */
    public VmResult(final String vmId, final VmOutcome outcome, final Timeline timeline, final String console, final long exits)
    {
        this(vmId, outcome, timeline, console, exits, SpawnPath.NONE);
    }
}
