package dev.hatchery.orchestrator;

import dev.hatchery.config.VmSpec;

/** One VM to run until the guest ends it or it is stopped; {@code kernelName} is what reports and the API show. */
public record SpawnRequest(String kernelName, VmSpec spec)
{
}
