package dev.hatchery.orchestrator;

/** A batch's state at one moment; {@code inFlight} VMs have been launched and not yet ended. */
public record BatchProgress(String batchId, int count, int booted, int failed, int timedOut, int cancelled, int inFlight,
    double bootsPerSecond, boolean done)
{
    public int ended()
    {
        return booted + failed + timedOut + cancelled;
    }
}
