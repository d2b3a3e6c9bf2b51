package dev.hatchery.orchestrator.cluster;

import akka.actor.typed.ActorRef;

import dev.hatchery.orchestrator.FreeCapacity;
import dev.hatchery.orchestrator.Refusal;
import dev.hatchery.orchestrator.VmEvent;
import dev.hatchery.orchestrator.report.BatchReport;

/** What nodes say to each other about a batch: the orders a coordinator gives a node's agent and what the agent answers. */
public final class ClusterProtocol
{
    private ClusterProtocol()
    {
    }

    /** What a node's agent ({@link NodeAgent}) accepts. */
    public interface ToNode extends ClusterMessage
    {
    }

    /** Asks a node what it could take on now. */
    public record QueryCapacity(ActorRef<NodeCapacity> replyTo) implements ToNode
    {
    }

    /** Runs {@code count} VMs of {@code spec} on the receiving node as its part of batch {@code batchId}. */
    public record RunPart(String batchId, PortableSpec spec, int count, int concurrency, ActorRef<PartReply> replyTo) implements ToNode
    {
    }

    /** Cancels the receiving node's part of a batch (its running VMs stop, its unlaunched ones end cancelled). */
    public record CancelPart(String batchId) implements ToNode
    {
    }

    /** A node's free capacity, and where its HTTP API is (empty when it serves none). */
    public record NodeCapacity(String node, String http, FreeCapacity free) implements ClusterMessage
    {
    }

    /** What a node tells a batch's coordinator about its part. */
    public interface PartReply extends ClusterMessage
    {
        String node();
    }

    /** The part runs there as local batch {@code localBatchId}. */
    public record PartStarted(String node, String batchId, String localBatchId) implements PartReply
    {
    }

    /** The node did not take the part. */
    public record PartRefused(String node, String batchId, Refusal refusal) implements PartReply
    {
    }

    /** One VM of the part ended. */
    public record PartVmEnded(String node, String batchId, VmEvent event) implements PartReply
    {
    }

    /** The part ended; every one of its VMs was reported before this. */
    public record PartDone(String node, String batchId, BatchReport report) implements PartReply
    {
    }
}
