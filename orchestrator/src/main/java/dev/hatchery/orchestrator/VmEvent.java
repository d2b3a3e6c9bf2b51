package dev.hatchery.orchestrator;

import dev.hatchery.vm.Phase;
import dev.hatchery.vm.VmFailure;
import dev.hatchery.vm.VmResult;

/**
 * One VM of a batch ended: how ({@code outcome}: booted, failed, timed_out, cancelled), why ({@code reason}, with
 * this VM's detail; {@code failure}, the failure's code such as {@code triple_fault}, null when it booted), and its
 * spawn→boot time ({@code bootMicros}, -1 when it never booted). {@code sequence} counts from 1 per batch. {@code node}: in a
 * cluster batch, the node that ran the VM (host:port of its cluster transport); null for a batch of one node.
 */
public record VmEvent(String batchId, String vmId, long sequence, String outcome, String failure, String reason, long bootMicros, String node)
{
    public VmEvent(final String batchId, final String vmId, final long sequence, final String outcome, final String failure, final String reason,
        final long bootMicros)
    {
        this(batchId, vmId, sequence, outcome, failure, reason, bootMicros, null);
    }

    /** This event as one of cluster batch {@code clusterBatchId}'s, at {@code clusterSequence}, from {@code fromNode}. */
    public VmEvent inCluster(final String clusterBatchId, final long clusterSequence, final String fromNode)
    {
        return new VmEvent(clusterBatchId, vmId, clusterSequence, outcome, failure, reason, bootMicros, fromNode);
    }

    static VmEvent of(final String batchId, final long sequence, final VmResult result)
    {
        final long boot = result.timeline().sinceRequest(Phase.BOOT_COMPLETE);
        final VmFailure failure = result.outcome().failure();
        return new VmEvent(batchId, result.vmId(), sequence, result.outcome().kind().name().toLowerCase(java.util.Locale.ROOT),
            failure == null ? null : failure.code(), result.outcome().reason(), boot < 0 ? -1 : boot / 1000);
    }
}
