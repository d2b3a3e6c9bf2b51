package dev.hatchery.orchestrator.cluster;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

import akka.actor.typed.ActorRef;
import akka.actor.typed.ActorSystem;
import akka.actor.typed.Props;
import akka.actor.typed.javadsl.AskPattern;
import akka.actor.typed.receptionist.Receptionist;
import akka.cluster.Member;
import akka.cluster.typed.Cluster;

import dev.hatchery.orchestrator.BatchHandle;
import dev.hatchery.orchestrator.ClusterView;
import dev.hatchery.orchestrator.BatchRequest;
import dev.hatchery.orchestrator.FreeCapacity;
import dev.hatchery.orchestrator.Hatchery;
import dev.hatchery.orchestrator.KernelCatalog;
import dev.hatchery.orchestrator.PlacedElsewhereException;
import dev.hatchery.orchestrator.Refusal;
import dev.hatchery.orchestrator.RefusedException;
import dev.hatchery.orchestrator.RunningVm;
import dev.hatchery.orchestrator.ServiceMetrics;
import dev.hatchery.orchestrator.SpawnRequest;
import dev.hatchery.orchestrator.VmService;
import dev.hatchery.orchestrator.cluster.ClusterProtocol.NodeCapacity;
import dev.hatchery.orchestrator.cluster.ClusterProtocol.QueryCapacity;
import dev.hatchery.orchestrator.cluster.ClusterProtocol.ToNode;
import dev.hatchery.orchestrator.function.FunctionService;

import com.typesafe.config.Config;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A Hatchery node in an Akka Cluster: the local service (its own supervisor, kernel cache and tap pool) plus this node's
 * agent. A batch submitted here is split across the members by their free capacity and coordinated here
 * ({@link ClusterBatch}); everything else (single VMs, functions, metrics) is this node's own.
 */
public final class ClusterHatchery implements VmService, AutoCloseable
{
    private static final Logger LOG = LoggerFactory.getLogger(ClusterHatchery.class);
    private static final Duration ASK = Duration.ofSeconds(5);

    private final Hatchery local;
    private final ClusterSettings settings;
    private final ActorSystem<?> system;
    private final String node;
    private final dev.hatchery.orchestrator.Limits limits;
    private volatile String http = "";
    private final AtomicLong nextBatch = new AtomicLong();
    private final Map<String, ActorRef<ClusterBatch.Command>> coordinators = new ConcurrentHashMap<>();

    private ClusterHatchery(final Hatchery local, final ClusterSettings settings, final String node, final dev.hatchery.orchestrator.Limits limits)
    {
        this.local = local;
        this.limits = limits;
        this.settings = settings;
        this.system = local.actorSystem();
        this.node = node;
    }

    /** Starts the local service with the cluster's Akka settings, joins through the seed nodes and registers this node's agent. */
    public static ClusterHatchery start(final Config config, final KernelCatalog catalog, final ClusterSettings settings)
    {
        settings.validate();
        final Hatchery local = Hatchery.start(settings.akkaConfig().withFallback(config), catalog);
        try
        {
            final akka.actor.Address self = Cluster.get(local.actorSystem()).selfMember().address();
            final String node = self.host().get() + ":" + self.port().get();
            final ClusterHatchery clustered = new ClusterHatchery(local, settings, node, dev.hatchery.orchestrator.Limits.fromConfig(config));
            local.actorSystem().systemActorOf(NodeAgent.create(clustered.localNode(), node), "hatchery-node", Props.empty());
            LOG.info("cluster.node_started node={} seeds={} transport={} sbr=keep-majority down_after_ms={}", node, settings.seedNodes(),
                settings.tls().configured() ? "tls-tcp" : "tcp", settings.downUnreachableAfter().toMillis());
            return clustered;
        }
        catch (final RuntimeException ex)
        {
            local.close();
            throw ex;
        }
    }

    /** Tells the members where this node's HTTP API answers (shown in {@code GET /v1/cluster}). */
    public void serveHttpAt(final String url)
    {
        http = url;
    }

    /** This node's name among the members: host:port of its cluster transport. */
    public String node()
    {
        return node;
    }

    /** The local service this node runs. */
    public Hatchery local()
    {
        return local;
    }

    private LocalNode localNode()
    {
        return new LocalNode()
        {
            @Override
            public CompletionStage<FreeCapacity> freeCapacity()
            {
                return local.freeCapacity();
            }

            @Override
            public KernelCatalog catalog()
            {
                return local.catalog();
            }

            @Override
            public String http()
            {
                return http;
            }

            @Override
            public CompletionStage<BatchHandle> submit(final BatchRequest request)
            {
                return local.submit(request);
            }

            @Override
            public boolean cancel(final String batchId)
            {
                return local.cancel(batchId);
            }
        };
    }

    @Override
    public CompletionStage<Optional<ClusterView>> cluster()
    {
        return view().thenApply(Optional::of);
    }

    /** The members Akka sees now (status, reachability) and each reachable node's free capacity. */
    public CompletionStage<ClusterView> view()
    {
        final Cluster cluster = Cluster.get(system);
        final akka.cluster.ClusterEvent.CurrentClusterState state = cluster.state();
        return capacities().thenApply(capacities ->
        {
            final List<ClusterView.MemberView> members = new ArrayList<>();
            for (final Member member : state.getMembers())
            {
                final String name = member.address().host().get() + ":" + member.address().port().get();
                final NodeCapacity capacity = capacities.containsKey(name) ? capacities.get(name).capacity() : null;
                members.add(new ClusterView.MemberView(name, member.status().toString().toLowerCase(java.util.Locale.ROOT),
                    !state.getUnreachable().contains(member), name.equals(node), capacity == null ? null : capacity.http(),
                    capacity == null ? null : capacity.free()));
            }
            members.sort(Comparator.comparing(ClusterView.MemberView::node));
            final Optional<String> leader = Optional.ofNullable(state.getLeader()).map(a -> a.host().get() + ":" + a.port().get());
            return new ClusterView(node, leader.orElse(null), members);
        });
    }

    /** A member's agent and what it answered. */
    private record Reached(ActorRef<ToNode> agent, NodeCapacity capacity)
    {
    }

    /** Every registered agent and its capacity, by node; a node that does not answer within capacity-timeout is left out. */
    private CompletionStage<Map<String, Reached>> capacities()
    {
        final CompletionStage<Receptionist.Listing> listing = AskPattern.ask(system.receptionist(),
            replyTo -> Receptionist.find(NodeAgent.KEY, replyTo), ASK, system.scheduler());
        return listing.thenCompose(found ->
        {
            final Map<ActorRef<ToNode>, CompletableFuture<NodeCapacity>> asks = new LinkedHashMap<>();
            for (final ActorRef<ToNode> agent : found.getServiceInstances(NodeAgent.KEY))
            {
                asks.put(agent, AskPattern.<ToNode, NodeCapacity>ask(agent, QueryCapacity::new, settings.capacityTimeout(), system.scheduler())
                    .toCompletableFuture().exceptionally(error -> null));
            }
            return CompletableFuture.allOf(asks.values().toArray(CompletableFuture[]::new)).thenApply(done ->
            {
                // By node name, so that every split of the same members is in the same order.
                final Map<String, Reached> reached = new java.util.TreeMap<>();
                asks.forEach((agent, ask) ->
                {
                    final NodeCapacity capacity = ask.join();
                    if (capacity != null)
                    {
                        reached.put(capacity.node(), new Reached(agent, capacity));
                    }
                });
                return reached;
            });
        });
    }

    @Override
    public CompletionStage<BatchHandle> submit(final BatchRequest request)
    {
        final BatchRequest checked;
        try
        {
            checked = request.validate(limits.maxBatchCount(), limits.maxBatchConcurrency());
            if (!local.catalog().contains(request.kernelName()))
            {
                throw new RefusedException(Refusal.invalid("kernel", "kernel '" + request.kernelName() + "' is not a catalog name: a cluster"
                    + " batch names its kernel from the catalog (" + String.join(", ", local.catalog().names()) + ")"));
            }
        }
        catch (final RuntimeException ex)
        {
            return CompletableFuture.failedFuture(ex);
        }
        return capacities().thenCompose(capacities ->
        {
            if (capacities.isEmpty())
            {
                throw new RefusedException(Refusal.busy("no cluster member's agent answered within hatchery.cluster.capacity-timeout ("
                    + settings.capacityTimeout().toSeconds() + " s), this node's included (it registers a moment after joining); retry"));
            }
            final Map<String, Integer> room = new LinkedHashMap<>();
            capacities.forEach((name, reached) -> room.put(name, reached.capacity().free().vmsOf(checked.spec().memBytes())));
            final List<ClusterBatch.Assignment> parts = new ArrayList<>();
            for (final CapacitySplit.Part part : CapacitySplit.split(checked.count(), checked.concurrency(), room))
            {
                parts.add(new ClusterBatch.Assignment(part.node(), capacities.get(part.node()).agent(), part.vms(), part.concurrency()));
            }
            // Unique among the members (each node numbers its own), and an id the API accepts: [a-z0-9-].
            final String id = "c" + nextBatch.incrementAndGet() + "-" + node.toLowerCase(java.util.Locale.ROOT).replaceAll("[^a-z0-9]+", "-");
            final CompletableFuture<ClusterBatch.Outcome> outcome = new CompletableFuture<>();
            final ActorRef<ClusterBatch.Command> coordinator = system.systemActorOf(ClusterBatch.create(id, checked, parts, outcome,
                "cluster of " + parts.size() + " node(s): " + String.join(", ", room.keySet())), "cluster-batch-" + id, Props.empty());
            coordinators.put(id, coordinator);
            return outcome.thenApply(answer ->
            {
                if (answer instanceof ClusterBatch.Rejected rejected)
                {
                    coordinators.remove(id);
                    throw new RefusedException(rejected.refusal());
                }
                final BatchHandle handle = ((ClusterBatch.Accepted)answer).handle();
                handle.report().whenComplete((report, error) -> coordinators.remove(id));
                local.retain(handle);
                return handle;
            });
        });
    }

    @Override
    public Optional<BatchHandle> batch(final String batchId)
    {
        return local.batch(batchId);
    }

    @Override
    public boolean cancel(final String batchId)
    {
        final ActorRef<ClusterBatch.Command> coordinator = coordinators.get(batchId);
        if (coordinator != null)
        {
            coordinator.tell(new ClusterBatch.Cancel());
            return true;
        }
        return local.cancel(batchId);
    }

    @Override
    public KernelCatalog catalog()
    {
        return local.catalog();
    }

    /**
     * Places one VM on the member with the most free capacity for its memory size: here (ties stay here), or fails with
     * {@link PlacedElsewhereException} naming that node's {@code POST /v1/vms} (the HTTP API answers 307 to it).
     */
    @Override
    public CompletionStage<RunningVm> submitVm(final SpawnRequest request)
    {
        final long memBytes = request.spec().memBytes();
        return capacities().thenCompose(capacities ->
        {
            final Reached self = capacities.get(node);
            final int here = self == null ? -1 : self.capacity().free().vmsOf(memBytes);
            NodeCapacity best = null;
            for (final Reached reached : capacities.values())
            {
                final NodeCapacity capacity = reached.capacity();
                if (!capacity.http().isEmpty() && capacity.free().vmsOf(memBytes) > here
                    && (best == null || capacity.free().vmsOf(memBytes) > best.free().vmsOf(memBytes)))
                {
                    best = capacity;
                }
            }
            if (best == null || best.node().equals(node))
            {
                return local.submitVm(request);
            }
            LOG.info("cluster.vm_placed node={} room={} here_room={}", best.node(), best.free().vmsOf(memBytes), here);
            throw new PlacedElsewhereException(best.node(), best.http() + "/v1/vms?placed=" + node.replace(':', '-'));
        });
    }

    @Override
    public CompletionStage<RunningVm> submitVmHere(final SpawnRequest request)
    {
        return local.submitVm(request);
    }

    @Override
    public Optional<RunningVm> vm(final String vmId)
    {
        return local.vm(vmId);
    }

    @Override
    public boolean stopVm(final String vmId)
    {
        return local.stopVm(vmId);
    }

    @Override
    public ServiceMetrics metrics()
    {
        return local.metrics();
    }

    @Override
    public FunctionService functions()
    {
        return local.functions();
    }

    /**
     * Stops the local service; its actor system's coordinated shutdown first leaves the cluster, so the others see this
     * node leave rather than fail (its parts of running batches end as node_lost there).
     */
    @Override
    public void close()
    {
        local.close();
    }
}
