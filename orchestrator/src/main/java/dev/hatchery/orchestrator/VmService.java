package dev.hatchery.orchestrator;

import java.util.Optional;
import java.util.concurrent.CompletionStage;

/**
 * What Hatchery offers a caller: batches, single VMs, the kernel catalog and the service's metrics.
 * {@link Hatchery} is the implementation; the HTTP routes depend on this interface only.
 */
public interface VmService
{
    KernelCatalog catalog();

    /** Submits a batch; fails with {@link RefusedException} when it is refused. */
    CompletionStage<BatchHandle> submit(BatchRequest request);

    /** A batch submitted earlier (running, or among the most recent finished ones). */
    Optional<BatchHandle> batch(String batchId);

    /** Stops a batch's running VMs and ends its unlaunched ones as cancelled; false if the id is unknown. */
    boolean cancel(String batchId);

    /**
     * Accepts one VM and returns its view at once (it is then being built); fails with {@link RefusedException}, and in a
     * cluster with {@link PlacedElsewhereException} when another node has more free capacity.
     */
    CompletionStage<RunningVm> submitVm(SpawnRequest request);

    /**
     * Accepts one VM on this node whatever the others have free: a request another cluster member already placed here
     * (it would otherwise bounce). Alone, the same as {@link #submitVm}.
     */
    default CompletionStage<RunningVm> submitVmHere(final SpawnRequest request)
    {
        return submitVm(request);
    }

    /** A VM spawned earlier (running, or among the most recent ended ones). */
    Optional<RunningVm> vm(String vmId);

    /** Asks a VM to stop; false if the id is unknown. */
    boolean stopVm(String vmId);

    ServiceMetrics metrics();

    /** The deployed functions and their invocations. */
    dev.hatchery.orchestrator.function.FunctionService functions();

    /** The cluster this node is a member of, as {@code GET /v1/cluster} shows it; empty when the node runs alone. */
    default CompletionStage<Optional<ClusterView>> cluster()
    {
        return java.util.concurrent.CompletableFuture.completedFuture(Optional.empty());
    }

    /** Spawns one VM and completes when it runs (its address, console and timeline are then readable). */
    default CompletionStage<RunningVm> spawn(final SpawnRequest request)
    {
        return submitVm(request).thenCompose(RunningVm::running);
    }
}
