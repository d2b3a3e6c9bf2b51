package dev.hatchery.orchestrator.cluster;

import java.util.concurrent.CompletionStage;

import dev.hatchery.orchestrator.BatchHandle;
import dev.hatchery.orchestrator.BatchRequest;
import dev.hatchery.orchestrator.FreeCapacity;
import dev.hatchery.orchestrator.KernelCatalog;

/** What a node's agent needs of the service it runs beside: its capacity, its catalog, and local batches. */
public interface LocalNode
{
    CompletionStage<FreeCapacity> freeCapacity();

    KernelCatalog catalog();

    /** Where this node's HTTP API answers, "" when it serves none. */
    String http();

    /** Starts a batch on this node; fails with {@link dev.hatchery.orchestrator.RefusedException} when refused. */
    CompletionStage<BatchHandle> submit(BatchRequest request);

    boolean cancel(String batchId);
}
