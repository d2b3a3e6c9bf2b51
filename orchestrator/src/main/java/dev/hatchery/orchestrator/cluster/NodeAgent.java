package dev.hatchery.orchestrator.cluster;

import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletionException;

import akka.actor.typed.ActorRef;
import akka.actor.typed.Behavior;
import akka.actor.typed.javadsl.AbstractBehavior;
import akka.actor.typed.javadsl.ActorContext;
import akka.actor.typed.javadsl.Behaviors;
import akka.actor.typed.javadsl.Receive;
import akka.actor.typed.receptionist.Receptionist;
import akka.actor.typed.receptionist.ServiceKey;

import dev.hatchery.orchestrator.BatchHandle;
import dev.hatchery.orchestrator.FreeCapacity;
import dev.hatchery.orchestrator.Refusal;
import dev.hatchery.orchestrator.RefusedException;
import dev.hatchery.orchestrator.VmEvent;
import dev.hatchery.orchestrator.cluster.ClusterProtocol.CancelPart;
import dev.hatchery.orchestrator.cluster.ClusterProtocol.NodeCapacity;
import dev.hatchery.orchestrator.cluster.ClusterProtocol.PartDone;
import dev.hatchery.orchestrator.cluster.ClusterProtocol.PartRefused;
import dev.hatchery.orchestrator.cluster.ClusterProtocol.PartStarted;
import dev.hatchery.orchestrator.cluster.ClusterProtocol.PartVmEnded;
import dev.hatchery.orchestrator.cluster.ClusterProtocol.QueryCapacity;
import dev.hatchery.orchestrator.cluster.ClusterProtocol.RunPart;
import dev.hatchery.orchestrator.cluster.ClusterProtocol.ToNode;
import dev.hatchery.orchestrator.report.BatchReport;

/**
 * A node's face to the cluster, one per node, registered with the Receptionist under {@link #KEY}: answers capacity
 * queries and runs parts of batches as local batches of this node's supervisor, telling the coordinator each VM's end
 * in order and then the part's report (Akka keeps the order of one actor's messages to another).
 */
public final class NodeAgent extends AbstractBehavior<ToNode>
{
    public static final ServiceKey<ToNode> KEY = ServiceKey.create(ToNode.class, "hatchery-node");

    private record Answered(QueryCapacity query, FreeCapacity free, Throwable error) implements ToNode
    {
    }

    private record Started(RunPart part, BatchHandle handle, Throwable error) implements ToNode
    {
    }

    private record Ended(RunPart part, VmEvent event) implements ToNode
    {
    }

    private record Finished(RunPart part, BatchReport report, Throwable error) implements ToNode
    {
    }

    private final LocalNode local;
    private final String node;
    /** Cluster batch id to this node's local batch id, while the part runs. */
    private final Map<String, String> parts = new HashMap<>();

    private final Set<String> cancelledEarly = new HashSet<>();

    private NodeAgent(final ActorContext<ToNode> context, final LocalNode local, final String node)
    {
        super(context);
        this.local = local;
        this.node = node;
    }

    /** @param node this node's name in the cluster (host:port of its cluster transport) */
    public static Behavior<ToNode> create(final LocalNode local, final String node)
    {
        return Behaviors.setup(context ->
        {
            context.getSystem().receptionist().tell(Receptionist.register(KEY, context.getSelf()));
            return new NodeAgent(context, local, node);
        });
    }

    @Override
    public Receive<ToNode> createReceive()
    {
        return newReceiveBuilder()
            .onMessage(QueryCapacity.class, this::onQuery)
            .onMessage(Answered.class, this::onAnswered)
            .onMessage(RunPart.class, this::onRunPart)
            .onMessage(Started.class, this::onStarted)
            .onMessage(Ended.class, this::onEnded)
            .onMessage(Finished.class, this::onFinished)
            .onMessage(CancelPart.class, this::onCancel)
            .build();
    }

    private Behavior<ToNode> onQuery(final QueryCapacity query)
    {
        getContext().pipeToSelf(local.freeCapacity(), (free, error) -> new Answered(query, free, error));
        return this;
    }

    private Behavior<ToNode> onAnswered(final Answered answered)
    {
        if (answered.error() != null)
        {
            getContext().getLog().warn("cluster.capacity_unknown node={} reason=\"{}\"", node, answered.error().getMessage());
            return this;
        }
        answered.query().replyTo().tell(new NodeCapacity(node, local.http(), answered.free()));
        return this;
    }

    private Behavior<ToNode> onRunPart(final RunPart part)
    {
        final dev.hatchery.orchestrator.BatchRequest request;
        try
        {
            request = part.spec().toRequest(local.catalog(), part.count(), part.concurrency());
        }
        catch (final IllegalArgumentException ex)
        {
            part.replyTo().tell(new PartRefused(node, part.batchId(), Refusal.invalid("kernel", ex.getMessage())));
            return this;
        }
        getContext().pipeToSelf(local.submit(request), (handle, error) -> new Started(part, handle, error));
        return this;
    }

    private Behavior<ToNode> onStarted(final Started started)
    {
        final RunPart part = started.part();
        if (started.error() != null)
        {
            final Throwable cause = started.error() instanceof CompletionException && started.error().getCause() != null
                ? started.error().getCause() : started.error();
            final Refusal refusal = cause instanceof RefusedException refused ? refused.refusal() : Refusal.busy(String.valueOf(cause.getMessage()));
            getContext().getLog().info("cluster.part_refused batch={} node={} reason=\"{}\"", part.batchId(), node, refusal.message());
            part.replyTo().tell(new PartRefused(node, part.batchId(), refusal));
            return this;
        }
        final BatchHandle handle = started.handle();
        parts.put(part.batchId(), handle.id());
        getContext().getLog().info("cluster.part_started batch={} node={} local_batch={} vms={} concurrency={}", part.batchId(), node, handle.id(),
            part.count(), part.concurrency());
        part.replyTo().tell(new PartStarted(node, part.batchId(), handle.id()));
        final ActorRef<ToNode> self = getContext().getSelf();
        // The feed calls back on the thread that appends (the supervisor's): only a tell, never the context, from there.
        handle.events().subscribe(event -> self.tell(new Ended(part, event)), () -> { });
        if (cancelledEarly.remove(part.batchId()))
        {
            local.cancel(handle.id());
        }
        getContext().pipeToSelf(handle.report(), (report, error) -> new Finished(part, report, error));
        return this;
    }

    private Behavior<ToNode> onEnded(final Ended ended)
    {
        ended.part().replyTo().tell(new PartVmEnded(node, ended.part().batchId(), ended.event()));
        return this;
    }

    private Behavior<ToNode> onFinished(final Finished finished)
    {
        final RunPart part = finished.part();
        parts.remove(part.batchId());
        if (finished.error() != null)
        {
            // The supervisor completes every report; one that failed is a bug, told to the coordinator as the part's end.
            getContext().getLog().error("cluster.part_failed batch={} node={} reason=\"{}\"", part.batchId(), node, finished.error().getMessage());
            part.replyTo().tell(new PartDone(node, part.batchId(), null));
            return this;
        }
        part.replyTo().tell(new PartDone(node, part.batchId(), finished.report()));
        return this;
    }

    private Behavior<ToNode> onCancel(final CancelPart cancel)
    {
        final String localBatch = parts.get(cancel.batchId());
        if (localBatch != null)
        {
            local.cancel(localBatch);
        }
        else
        {
            // Cancelled before the local batch started: cancel it as soon as it does.
            cancelledEarly.add(cancel.batchId());
        }
        return this;
    }
}
