package dev.hatchery.vm;

/** Everything known about a VM once it has ended. */
public record VmResult(String vmId, VmOutcome outcome, Timeline timeline, String console, long exits)
{
}
