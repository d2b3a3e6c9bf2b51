package dev.hatchery.orchestrator;

import dev.hatchery.config.VmSpec;
import dev.hatchery.vm.FunctionCall;

/**
 * One VM to run until the guest ends it or it is stopped; {@code kernelName} is what reports and the API show.
 * {@code call}: the one invocation a function's clone serves (its spec has a mailbox), else null.
 */
public record SpawnRequest(String kernelName, VmSpec spec, FunctionCall call)
{
    public SpawnRequest(final String kernelName, final VmSpec spec)
    {
        this(kernelName, spec, null);
    }
}
