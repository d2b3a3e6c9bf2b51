package dev.hatchery.orchestrator;

import dev.hatchery.orchestrator.function.Functions;
import dev.hatchery.orchestrator.function.Invocation;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;

import akka.actor.typed.ActorSystem;
import akka.actor.typed.javadsl.AskPattern;

import dev.hatchery.kernel.KernelCache;
import dev.hatchery.orchestrator.report.BatchReport;
import dev.hatchery.vm.VmHost;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Hatchery embedded in a Java program: opens KVM, starts the actor system with its supervisor, and
 * runs batches. The CLI and the HTTP service use this facade too. Close it to stop every VM and release
 * KVM and the kernel templates.
 */
public final class Hatchery implements VmService, AutoCloseable
{
    private static final Logger LOG = LoggerFactory.getLogger(Hatchery.class);

    private static final Duration ASK_TIMEOUT = Duration.ofSeconds(30);

    private final VmHost host;
    private final KernelCache kernels;
    private final ActorSystem<Supervisor.Command> system;
    private final KernelCatalog catalog;
    private final ServiceMetrics metrics;
    /** Finished batches and ended VMs kept for reading back (hatchery.retention), beyond which the oldest are forgotten. */
    private final Retained<BatchHandle> batches;
    private final Retained<RunningVm> vms;
    private final Functions functions;

    private Hatchery(final VmHost host, final KernelCache kernels, final ActorSystem<Supervisor.Command> system, final KernelCatalog catalog,
        final ServiceMetrics metrics, final Retained<BatchHandle> batches, final Retained<RunningVm> vms, final Functions.Settings functionSettings)
    {
        this.host = host;
        this.kernels = kernels;
        this.system = system;
        this.catalog = catalog;
        this.metrics = metrics;
        this.batches = batches;
        this.vms = vms;
        // Invocations go to the supervisor like any VM, but are not kept for reading back as VMs (their replies can be large).
        this.functions = new Functions(functionSettings, catalog, kernels, host, this::spawnUnretained);
        metrics.addSource(this::renderRetention);
        metrics.addSource(functions::render);
    }

    /** Where functions are kept: hatchery.functions.dir, else the "functions" folder of the cache. */
    static Functions.Settings functionSettings(final Config config)
    {
        final String configured = config.getString("hatchery.functions.dir");
        final String cache = System.getenv("HATCHERY_CACHE");
        final java.nio.file.Path dir = !configured.isEmpty() ? java.nio.file.Path.of(configured)
            : (cache != null && !cache.isEmpty() ? java.nio.file.Path.of(cache) : java.nio.file.Path.of(System.getProperty("user.home"), ".cache", "hatchery"))
                .resolve("functions");
        return new Functions.Settings(dir, config.getInt("hatchery.functions.max-functions"),
            config.getInt("hatchery.functions.max-concurrent-invocations"), config.getDuration("hatchery.functions.template-boot-timeout"));
    }

    private void renderRetention(final StringBuilder sb)
    {
        perKind(sb, "hatchery_retained_items", "gauge", "Batches and VMs kept for reading back (live ones and the newest finished ones).",
            batches.size(), vms.size());
        perKind(sb, "hatchery_retained_bytes", "gauge", "Estimated bytes they take (bounded for finished ones by hatchery.retention.max-*-bytes).",
            batches.bytes(), vms.bytes());
        perKind(sb, "hatchery_retained_finished_max", "gauge", "Finished ones kept at most (hatchery.retention.finished-batches, finished-vms).",
            batches.keepFinished(), vms.keepFinished());
        perKind(sb, "hatchery_retained_finished_bytes_max", "gauge",
            "Bytes finished ones take at most (hatchery.retention.max-batch-bytes, max-vm-bytes).", batches.maxFinishedBytes(), vms.maxFinishedBytes());
        perKind(sb, "hatchery_retained_dropped_total", "counter", "Finished batches and VMs forgotten to stay within the retention bounds.",
            batches.dropped(), vms.dropped());
    }

    /** One metric with a sample for batches and one for VMs (label kind). */
    private static void perKind(final StringBuilder sb, final String name, final String type, final String help, final long batch, final long vm)
    {
        sb.append("# HELP ").append(name).append(' ').append(help).append('\n');
        sb.append("# TYPE ").append(name).append(' ').append(type).append('\n');
        sb.append(name).append("{kind=\"batch\"} ").append(batch).append('\n');
        sb.append(name).append("{kind=\"vm\"} ").append(vm).append('\n');
    }

    /** Starts with the settings in application.conf and the bundled kernels announced by the launcher. */
    public static Hatchery start()
    {
        return start(ConfigFactory.load(), KernelCatalog.fromEnvironment(System.getenv()));
    }

    /** The setting for the VM shells kept ready per shape (0: shells off); the commands' --shells sets it. */
    public static final String SHELLS_DEPTH = "hatchery.shells.depth";

    /** The setting for resetting ended VMs' shells and reusing them instead of destroying them; the commands' --recycle sets it. */
    public static final String SHELLS_RECYCLE = "hatchery.shells.recycle";

    /** {@code config} with shell recycling turned on or off over whatever it says. */
    public static Config withShellRecycling(final Config config, final boolean recycle)
    {
        return com.typesafe.config.ConfigFactory.parseMap(java.util.Map.of(SHELLS_RECYCLE, recycle)).withFallback(config);
    }

    /** {@code config} with the shell depth set to {@code depth} over whatever it says. */
    public static Config withShellDepth(final Config config, final int depth)
    {
        return com.typesafe.config.ConfigFactory.parseMap(java.util.Map.of(SHELLS_DEPTH, depth)).withFallback(config);
    }

    public static Hatchery start(final Config config, final KernelCatalog catalog)
    {
        final KernelCache.Bounds kernelBounds = new KernelCache.Bounds(config.getInt("hatchery.kernel-cache.max-templates"),
            config.getBytes("hatchery.kernel-cache.max-bytes"));
        final MemoryBudget budget = MemoryBudget.fromConfig(config, HostMemory.probe());
        final Retained<BatchHandle> batches = new Retained<>(config.getInt("hatchery.retention.finished-batches"),
            config.getBytes("hatchery.retention.max-batch-bytes"), BatchHandle::done, BatchHandle::retainedBytes);
        final Retained<RunningVm> vms = new Retained<>(config.getInt("hatchery.retention.finished-vms"),
            config.getBytes("hatchery.retention.max-vm-bytes"), vm -> vm.state() == dev.hatchery.vm.VmState.ENDED, RunningVm::retainedBytes);
        LOG.info("capacity.memory_budget budget_mib={} per_vm_overhead_mib={} source=\"{}\"", budget.mib(), budget.perVmOverheadBytes() >> 20,
            budget.source());
        final VmHost host = VmHost.open(dev.hatchery.kvm.Kvm.DEFAULT_PATH, new dev.hatchery.vm.HostSettings(
            config.getInt(SHELLS_DEPTH), config.getInt("hatchery.shells.shapes"), config.getInt("hatchery.shells.fill-threads"), config.getInt("hatchery.vm.spare-vcpu-threads"),
            config.getInt("hatchery.vm.teardown-threads"), config.getBoolean(SHELLS_RECYCLE), config.getDuration("hatchery.shells.shape-idle")));
        final KernelCache kernels = new KernelCache(kernelBounds);
        try
        {
            host.configureTaps(new dev.hatchery.vm.TapPool.Settings(config.getString("hatchery.taps.prefix"),
                config.getInt("hatchery.taps.size"), config.getString("hatchery.taps.subnet"), new dev.hatchery.vm.Isolation(
                    config.getBoolean("hatchery.taps.isolation.enabled"), config.getStringList("hatchery.taps.isolation.host-services"),
                    config.getStringList("hatchery.taps.isolation.allow-outbound"))));
            host.configureNetwork(new dev.hatchery.vm.NetSettings(
                dev.hatchery.vm.NetSettings.Loop.parse(config.getString("hatchery.network.event-loop")),
                config.getInt("hatchery.network.shared-loops"), config.getBoolean("hatchery.network.offloads")));
            final Limits limits = Limits.fromConfig(config);
            final Supervisor.Settings settings = new Supervisor.Settings(limits, budget, Environment.inLab(),
                Environment.describe(), config.getDuration("hatchery.vm.stop-timeout"));
            final ServiceMetrics metrics = new ServiceMetrics(kernels::stats);
            metrics.addSource(limits::render);
            metrics.addSource(sb -> ServiceMetrics.renderCloneTemplates(sb, host.cloneTemplateStats()));
            metrics.addSource(sb -> ServiceMetrics.renderNetLoops(sb, host.netLoopStats()));
            final ActorSystem<Supervisor.Command> system = ActorSystem.create(Supervisor.create(host, kernels, settings, metrics), "hatchery",
                config);
            return new Hatchery(host, kernels, system, catalog, metrics, batches, vms, functionSettings(config));
        }
        catch (final RuntimeException ex)
        {
            kernels.close();
            host.close();
            throw ex;
        }
    }

    @Override
    public KernelCatalog catalog()
    {
        return catalog;
    }

    @Override
    public ServiceMetrics metrics()
    {
        return metrics;
    }

    /** The actor system the supervisor runs in; an HTTP server binds in it too. */
    public ActorSystem<?> actorSystem()
    {
        return system;
    }

    /** What the VM host did to keep work off the spawn path (shells, vCPU threads, teardown queue). */
    public dev.hatchery.vm.HostStats hostStats()
    {
        return host.stats();
    }

    public KernelCache.Stats kernelCacheStats()
    {
        return kernels.stats();
    }

    /** VMs of this process whose resources are not released yet (tests check that every clone of an invocation goes). */
    int liveVms()
    {
        return host.liveVms();
    }

    /** Taps not leased to a VM now. */
    int freeTaps()
    {
        return host.taps().available();
    }

    int tapPoolSize()
    {
        return host.taps().size();
    }

    @Override
    public CompletionStage<BatchHandle> submit(final BatchRequest request)
    {
        return AskPattern.<Supervisor.Command, Supervisor.StartReply>ask(system, replyTo -> new Supervisor.StartBatch(request, replyTo),
                ASK_TIMEOUT, system.scheduler())
            .thenApply(reply -> accepted(reply, Supervisor.Accepted.class).handle())
            .thenApply(handle ->
            {
                batches.put(handle.id(), handle);
                return handle;
            });
    }

    /** What this node could take on now: free VM slots, memory and batch slots. */
    public CompletionStage<FreeCapacity> freeCapacity()
    {
        return AskPattern.ask(system, Supervisor.QueryCapacity::new, ASK_TIMEOUT, system.scheduler());
    }

    /** Keeps a batch run elsewhere (a cluster batch this node coordinates) beside the local ones, under the same retention bound. */
    public void retain(final BatchHandle handle)
    {
        batches.put(handle.id(), handle);
    }

    /** The acceptance, or the refusal thrown as {@link RefusedException}. */
    private static <T> T accepted(final Object reply, final Class<T> acceptance)
    {
        if (reply instanceof Supervisor.Rejected rejected)
        {
            throw new RefusedException(rejected.refusal());
        }
        return acceptance.cast(reply);
    }

    @Override
    public Optional<BatchHandle> batch(final String batchId)
    {
        return batches.get(batchId);
    }

    @Override
    public CompletionStage<RunningVm> submitVm(final SpawnRequest request)
    {
        return AskPattern.<Supervisor.Command, Supervisor.SpawnReply>ask(system, replyTo -> new Supervisor.SpawnVm(request, replyTo),
                ASK_TIMEOUT, system.scheduler())
            .thenApply(reply -> accepted(reply, Supervisor.VmAccepted.class).vm())
            .thenApply(vm ->
            {
                vms.put(vm.id(), vm);
                return vm;
            });
    }

    private CompletionStage<RunningVm> spawnUnretained(final SpawnRequest request)
    {
        return AskPattern.<Supervisor.Command, Supervisor.SpawnReply>ask(system, replyTo -> new Supervisor.SpawnVm(request, replyTo),
                ASK_TIMEOUT, system.scheduler())
            .thenApply(reply -> accepted(reply, Supervisor.VmAccepted.class).vm());
    }

    @Override
    public Functions functions()
    {
        return functions;
    }

    /** Runs one invocation of a deployed function in a fresh clone (see {@link Functions#invoke}). */
    public CompletionStage<Invocation> invoke(final String function, final byte[] request)
    {
        return functions.invoke(function, request);
    }

    @Override
    public Optional<RunningVm> vm(final String vmId)
    {
        return vms.get(vmId);
    }

    @Override
    public boolean stopVm(final String vmId)
    {
        if (vms.get(vmId).isEmpty())
        {
            return false;
        }
        system.tell(new Supervisor.StopVm(vmId));
        return true;
    }

    /** Runs a batch to its end and returns its report. */
    public BatchReport run(final BatchRequest request)
    {
        return submit(request).thenCompose(BatchHandle::report).toCompletableFuture().join();
    }

    @Override
    public boolean cancel(final String batchId)
    {
        if (batches.get(batchId).isEmpty())
        {
            return false;
        }
        system.tell(new Supervisor.CancelBatch(batchId));
        return true;
    }

    /**
     * Stops the actor system (every VM actor stops its VM, without waiting for it), then KVM and the templates:
     * closing the host waits, with a bound, for the VMs still being released.
     */
    @Override
    public void close()
    {
        system.terminate();
        try
        {
            system.getWhenTerminated().toCompletableFuture().get(60, TimeUnit.SECONDS);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
        catch (final java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException ex)
        {
            throw new IllegalStateException("actor system did not stop within 60 s", ex);
        }
        finally
        {
            functions.close();
            kernels.close();
            host.close();
        }
    }
}
