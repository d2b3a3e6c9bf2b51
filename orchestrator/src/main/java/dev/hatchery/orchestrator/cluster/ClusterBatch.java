package dev.hatchery.orchestrator.cluster;

import java.time.Instant;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicReference;

import akka.actor.typed.ActorRef;
import akka.actor.typed.Behavior;
import akka.actor.typed.javadsl.AbstractBehavior;
import akka.actor.typed.javadsl.ActorContext;
import akka.actor.typed.javadsl.Behaviors;
import akka.actor.typed.javadsl.Receive;

import dev.hatchery.orchestrator.BatchHandle;
import dev.hatchery.orchestrator.BatchProgress;
import dev.hatchery.orchestrator.BatchRequest;
import dev.hatchery.orchestrator.EventFeed;
import dev.hatchery.orchestrator.Refusal;
import dev.hatchery.orchestrator.VmEvent;
import dev.hatchery.orchestrator.cluster.ClusterProtocol.CancelPart;
import dev.hatchery.orchestrator.cluster.ClusterProtocol.PartDone;
import dev.hatchery.orchestrator.cluster.ClusterProtocol.PartRefused;
import dev.hatchery.orchestrator.cluster.ClusterProtocol.PartReply;
import dev.hatchery.orchestrator.cluster.ClusterProtocol.PartStarted;
import dev.hatchery.orchestrator.cluster.ClusterProtocol.PartVmEnded;
import dev.hatchery.orchestrator.cluster.ClusterProtocol.RunPart;
import dev.hatchery.orchestrator.cluster.ClusterProtocol.ToNode;
import dev.hatchery.orchestrator.report.BatchReport;

/**
 * The coordinator of one batch split across nodes, on the node it was submitted to: gives each node its part, watches
 * each node's agent, merges the nodes' VM events into the batch's one sequence, and ends the batch once every part is
 * done, refused, or its node left the cluster (Akka's death watch fires when the Split Brain Resolver downs a node).
 * The submitter hears once: the batch's handle as soon as one node took its part, or the refusal when none did.
 */
public final class ClusterBatch extends AbstractBehavior<ClusterBatch.Command>
{
    /** What the coordinator accepts. */
    public interface Command
    {
    }

    /** Cancels every part. */
    public record Cancel() implements Command
    {
    }

    private record FromPart(PartReply reply) implements Command
    {
    }

    private record NodeGone(String node) implements Command
    {
    }

    /** The submitter's answer. */
    public sealed interface Outcome
    {
    }

    public record Accepted(BatchHandle handle) implements Outcome
    {
    }

    public record Rejected(Refusal refusal) implements Outcome
    {
    }

    /** One node's part: its agent and what it is given. */
    public record Assignment(String node, ActorRef<ToNode> agent, int vms, int concurrency)
    {
    }

    private final String batchId;
    private final Map<String, Assignment> assignments = new LinkedHashMap<>();
    private final ClusterTally tally;
    private final EventFeed<VmEvent> feed;
    private final CompletableFuture<BatchReport> report = new CompletableFuture<>();
    private final AtomicReference<BatchProgress> progress = new AtomicReference<>();
    private final Set<String> answered = new HashSet<>();
    private final String environment;
    private CompletableFuture<Outcome> submitter;
    private final BatchHandle handle;
    private Refusal firstRefusal;
    private boolean anyTook;

    private ClusterBatch(final ActorContext<Command> context, final String batchId, final BatchRequest request, final List<Assignment> parts,
        final CompletableFuture<Outcome> submitter, final String environment)
    {
        super(context);
        this.batchId = batchId;
        this.submitter = submitter;
        this.environment = environment;
        this.feed = new EventFeed<>();
        final Map<String, Integer> vms = new LinkedHashMap<>();
        parts.forEach(part ->
        {
            assignments.put(part.node(), part);
            vms.put(part.node(), part.vms());
        });
        this.tally = new ClusterTally(batchId, request, vms, feed, System.nanoTime());
        this.progress.set(tally.progress());
        this.handle = new BatchHandle(batchId, request, Instant.now(), progress::get, feed, report);
        final ActorRef<PartReply> replies = context.messageAdapter(PartReply.class, FromPart::new);
        final PortableSpec spec = PortableSpec.of(request);
        for (final Assignment part : parts)
        {
            context.watchWith(part.agent(), new NodeGone(part.node()));
            part.agent().tell(new RunPart(batchId, spec, part.vms(), part.concurrency(), replies));
        }
        context.getLog().info("cluster.batch_split batch={} vms={} parts={}", batchId, request.count(), parts.stream()
            .map(part -> part.node() + "=" + part.vms()).toList());
    }

    /**
     * @param submitter   completed once: the handle as soon as a node took its part, or the first refusal when none did
     * @param environment what the report says about where it ran (the nodes' own environments are per node)
     */
    public static Behavior<Command> create(final String batchId, final BatchRequest request, final List<Assignment> parts,
        final CompletableFuture<Outcome> submitter, final String environment)
    {
        return Behaviors.setup(context -> new ClusterBatch(context, batchId, request, parts, submitter, environment));
    }

    @Override
    public Receive<Command> createReceive()
    {
        return newReceiveBuilder()
            .onMessage(FromPart.class, this::onPart)
            .onMessage(NodeGone.class, this::onNodeGone)
            .onMessage(Cancel.class, this::onCancel)
            .build();
    }

    private Behavior<Command> onPart(final FromPart from)
    {
        final PartReply reply = from.reply();
        if (!assignments.containsKey(reply.node()))
        {
            getContext().getLog().warn("cluster.stray_reply batch={} node={} reply={}", batchId, reply.node(), reply.getClass().getSimpleName());
            return this;
        }
        if (reply instanceof PartStarted started)
        {
            tally.started(started.node(), started.localBatchId());
            answer(started.node(), null);
        }
        else if (reply instanceof PartRefused refused)
        {
            tally.refused(refused.node(), refused.refusal().message());
            answer(refused.node(), refused.refusal());
        }
        else if (reply instanceof PartVmEnded ended)
        {
            if (!tally.vmEnded(ended.node(), ended.event()))
            {
                getContext().getLog().warn("cluster.extra_vm_event batch={} node={} vm={}", batchId, ended.node(), ended.event().vmId());
            }
        }
        else if (reply instanceof PartDone done)
        {
            tally.done(done.node(), done.report());
            getContext().getLog().info("cluster.part_done batch={} node={}", batchId, done.node());
        }
        return afterChange();
    }

    private Behavior<Command> onNodeGone(final NodeGone gone)
    {
        if (tally.running().contains(gone.node()))
        {
            getContext().getLog().warn("cluster.node_lost batch={} node={}", batchId, gone.node());
            tally.lost(gone.node());
            answer(gone.node(), null);
        }
        return afterChange();
    }

    private Behavior<Command> onCancel(final Cancel cancel)
    {
        for (final String node : tally.running())
        {
            assignments.get(node).agent().tell(new CancelPart(batchId));
        }
        return this;
    }

    /** Counts a node's answer to its part; once every node answered, tells the submitter (handle, or the refusal). */
    private void answer(final String node, final Refusal refusal)
    {
        if (!answered.add(node))
        {
            return;
        }
        if (refusal == null)
        {
            anyTook = true;
        }
        else if (firstRefusal == null)
        {
            firstRefusal = refusal;
        }
        if (submitter != null && (anyTook || answered.size() == assignments.size()))
        {
            submitter.complete(anyTook ? new Accepted(handle) : new Rejected(firstRefusal));
            submitter = null;
        }
    }

    private Behavior<Command> afterChange()
    {
        progress.set(tally.progress());
        if (!tally.complete())
        {
            return this;
        }
        final BatchReport finished = tally.finish(System.nanoTime(), environment);
        progress.set(tally.progress());
        feed.end();
        getContext().getLog().info("cluster.batch_finished batch={} booted={} failed={} timed_out={} cancelled={} wall_s={} nodes={}", batchId,
            finished.booted(), finished.failed(), finished.timedOut(), finished.cancelled(), finished.wallSeconds(), finished.nodes().keySet());
        report.complete(finished);
        return Behaviors.stopped();
    }
}
