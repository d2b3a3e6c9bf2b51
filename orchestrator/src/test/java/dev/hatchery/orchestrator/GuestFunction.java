package dev.hatchery.orchestrator;

import java.time.Duration;
import java.util.concurrent.CompletionStage;

import dev.hatchery.vm.VmResult;

/**
 * The function-as-a-service handler the README shows, kept compiling and tested (BatchIT): one fresh VM
 * per invocation, answered with what the guest wrote to its console.
 */
public final class GuestFunction
{
    private final VmService hatchery;

    public GuestFunction(final VmService hatchery)
    {
        this.hatchery = hatchery;
    }

    public CompletionStage<String> invoke(final Duration timeout)
    {
        final SpawnRequest request = new SpawnRequest("linux", hatchery.catalog().specFor("linux", true).bootTimeout(timeout).conclude());
        return hatchery.submitVm(request)
            .thenCompose(RunningVm::ended)
            .thenApply(VmResult::console);
    }
}
