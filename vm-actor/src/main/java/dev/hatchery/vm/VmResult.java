package dev.hatchery.vm;

import java.util.Objects;

import dev.hatchery.devices.FunctionReply;

/**
 * Everything known about a VM once it has ended, and how it was made.
 *
 * @param functionReply what a function's clone replied, or null (no function, or it ended before its reply)
 */
public record VmResult(String vmId, VmOutcome outcome, Timeline timeline, String console, long exits, SpawnPath spawnPath,
                       FunctionReply functionReply)
{
    public VmResult
    {
        Objects.requireNonNull(spawnPath, "spawnPath");
    }

    public VmResult(final String vmId, final VmOutcome outcome, final Timeline timeline, final String console, final long exits,
        final SpawnPath spawnPath)
    {
        this(vmId, outcome, timeline, console, exits, spawnPath, null);
    }

    /** A VM that was never built. */
    public VmResult(final String vmId, final VmOutcome outcome, final Timeline timeline, final String console, final long exits)
    {
        this(vmId, outcome, timeline, console, exits, SpawnPath.NONE);
    }
}
