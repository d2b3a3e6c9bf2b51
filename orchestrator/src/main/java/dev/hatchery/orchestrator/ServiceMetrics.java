package dev.hatchery.orchestrator;

import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;
import java.util.function.Supplier;

import dev.hatchery.kernel.KernelCache;
import dev.hatchery.vm.Phase;
import dev.hatchery.vm.VmFailure;
import dev.hatchery.vm.VmOutcome;
import dev.hatchery.vm.VmResult;

/**
 * The service's counters, in Prometheus text format: VMs running, VMs spawned, VMs ended by outcome,
 * failures by reason, and a histogram of spawn→boot latency. Written by the supervisor, read by anyone.
 */
public final class ServiceMetrics
{
    /** Upper bounds, in seconds, of the boot-latency buckets: 100 µs (hardware) to 60 s (an emulated lab). */
    static final double[] BOOT_BUCKETS_SECONDS = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5,
        1, 2.5, 5, 10, 30, 60};

    private final LongAdder spawned = new LongAdder();
    private final LongAdder running = new LongAdder();
    private final Map<VmOutcome.Kind, LongAdder> endedByOutcome = new ConcurrentHashMap<>();
    private final Map<VmFailure.Stage, LongAdder> failures = new ConcurrentHashMap<>();
    private final Map<dev.hatchery.vm.SpawnPath, LongAdder> endedByPath = new ConcurrentHashMap<>();
    private final AtomicLongArray bootBuckets = new AtomicLongArray(BOOT_BUCKETS_SECONDS.length + 1);
    private final LongAdder bootMicrosSum = new LongAdder();
    private final List<Consumer<StringBuilder>> sources = new CopyOnWriteArrayList<>();
    private final AtomicLong memoryBudget = new AtomicLong(-1);
    private final AtomicLong memoryAdmitted = new AtomicLong();
    /** The kernel cache's size and bounds, read when rendered; null: not shown (tests without a cache). */
    private final Supplier<KernelCache.Stats> kernelCache;

    public ServiceMetrics()
    {
        this(null);
    }

    public ServiceMetrics(final Supplier<KernelCache.Stats> kernelCache)
    {
        this.kernelCache = kernelCache;
    }

    /** More metrics, rendered after these, by whoever owns what they count. */
    public void addSource(final Consumer<StringBuilder> renderer)
    {
        sources.add(renderer);
    }

    /** The host memory budget admission counts against (set once at start). */
    public void memoryBudget(final long bytes)
    {
        memoryBudget.set(bytes);
    }

    /** Guest RAM plus per-VM overhead of the VMs admitted now. */
    public void memoryAdmitted(final long bytes)
    {
        memoryAdmitted.set(bytes);
    }

    /** A VM was built and its vCPU started. */
    public void vmStarted()
    {
        spawned.increment();
        running.increment();
    }

    /** A VM ended; {@code started} says whether {@link #vmStarted()} was counted for it. */
    public void vmEnded(final VmResult result, final boolean started)
    {
        if (started)
        {
            running.decrement();
        }
        final VmOutcome outcome = result.outcome();
        if (result.spawnPath() != dev.hatchery.vm.SpawnPath.NONE)
        {
            endedByPath.computeIfAbsent(result.spawnPath(), k -> new LongAdder()).increment();
        }
        endedByOutcome.computeIfAbsent(outcome.kind(), k -> new LongAdder()).increment();
        // Cancelling is asked for, not a failure.
        if (outcome.failure() != null && outcome.failure().stage() != VmFailure.Stage.CANCELLED)
        {
            failures.computeIfAbsent(outcome.failure().stage(), k -> new LongAdder()).increment();
        }
        final long bootNanos = result.timeline().sinceRequest(Phase.BOOT_COMPLETE);
        if (bootNanos >= 0)
        {
            observeBoot(bootNanos);
        }
    }

    public long running()
    {
        return running.sum();
    }

    public long spawned()
    {
        return spawned.sum();
    }

    public long failures(final VmFailure.Stage stage)
    {
        final LongAdder count = failures.get(stage);
        return count == null ? 0 : count.sum();
    }

    /** The Prometheus text exposition (format 0.0.4). */
    public String render()
    {
        final StringBuilder sb = new StringBuilder(2048);
        sb.append("# HELP hatchery_vms_running VMs whose vCPU runs now.\n# TYPE hatchery_vms_running gauge\n");
        sb.append("hatchery_vms_running ").append(running.sum()).append('\n');
        sb.append("# HELP hatchery_vms_spawned_total VMs built and started since the service started.\n");
        sb.append("# TYPE hatchery_vms_spawned_total counter\n");
        sb.append("hatchery_vms_spawned_total ").append(spawned.sum()).append('\n');
        sb.append("# HELP hatchery_vms_ended_total VMs ended, by outcome.\n# TYPE hatchery_vms_ended_total counter\n");
        for (final VmOutcome.Kind kind : VmOutcome.Kind.values())
        {
            final LongAdder count = endedByOutcome.get(kind);
            sb.append("hatchery_vms_ended_total{outcome=\"").append(kind.name().toLowerCase(Locale.ROOT)).append("\"} ")
                .append(count == null ? 0 : count.sum()).append('\n');
        }
        sb.append("# HELP hatchery_vms_built_total VMs built and ended, by spawn path (shell: from a fresh shell made ahead; recycled: from the reset shell of an ended VM; direct).\n");
        sb.append("# TYPE hatchery_vms_built_total counter\n");
        for (final dev.hatchery.vm.SpawnPath path : new dev.hatchery.vm.SpawnPath[] {dev.hatchery.vm.SpawnPath.SHELL, dev.hatchery.vm.SpawnPath.RECYCLED,
            dev.hatchery.vm.SpawnPath.DIRECT, dev.hatchery.vm.SpawnPath.CLONE})
        {
            final LongAdder count = endedByPath.get(path);
            sb.append("hatchery_vms_built_total{path=\"").append(path.jsonKey()).append("\"} ").append(count == null ? 0 : count.sum()).append('\n');
        }
        sb.append("# HELP hatchery_vm_failures_total VMs that failed or timed out, by the stage of their life that failed.\n");
        sb.append("# TYPE hatchery_vm_failures_total counter\n");
        for (final VmFailure.Stage stage : VmFailure.Stage.values())
        {
            if (stage != VmFailure.Stage.CANCELLED)
            {
                sb.append("hatchery_vm_failures_total{reason=\"").append(stage.label()).append("\"} ").append(failures(stage)).append('\n');
            }
        }
        renderBootHistogram(sb);
        if (memoryBudget.get() >= 0)
        {
            sb.append("# HELP hatchery_memory_budget_bytes Host memory the service admits VMs and templates against (hatchery.limits.memory-budget).\n");
            sb.append("# TYPE hatchery_memory_budget_bytes gauge\nhatchery_memory_budget_bytes ").append(memoryBudget.get()).append('\n');
            sb.append("# HELP hatchery_memory_admitted_bytes Guest RAM plus per-VM overhead of the VMs admitted now.\n");
            sb.append("# TYPE hatchery_memory_admitted_bytes gauge\nhatchery_memory_admitted_bytes ").append(memoryAdmitted.get()).append('\n');
        }
        if (kernelCache != null)
        {
            renderKernelCache(sb, kernelCache.get());
        }
        sources.forEach(source -> source.accept(sb));
        return sb.toString();
    }

    private static void renderKernelCache(final StringBuilder sb, final KernelCache.Stats stats)
    {
        sb.append("# HELP hatchery_kernel_templates Kernel templates cached (hatchery.kernel-cache.max-templates bounds them).\n");
        sb.append("# TYPE hatchery_kernel_templates gauge\nhatchery_kernel_templates ").append(stats.kernels()).append('\n');
        sb.append("# HELP hatchery_kernel_templates_max The bound on cached kernel templates.\n");
        sb.append("# TYPE hatchery_kernel_templates_max gauge\nhatchery_kernel_templates_max ").append(stats.bounds().maxTemplates()).append('\n');
        sb.append("# HELP hatchery_kernel_template_bytes Bytes the cached templates hold (memfds and prefetched images).\n");
        sb.append("# TYPE hatchery_kernel_template_bytes gauge\nhatchery_kernel_template_bytes ").append(stats.bytesHeld()).append('\n');
        sb.append("# HELP hatchery_kernel_template_bytes_max The bound on those bytes (hatchery.kernel-cache.max-bytes).\n");
        sb.append("# TYPE hatchery_kernel_template_bytes_max gauge\nhatchery_kernel_template_bytes_max ").append(stats.bounds().maxBytes()).append('\n');
        sb.append("# HELP hatchery_kernel_templates_held Templates held by requests in progress (never dropped).\n");
        sb.append("# TYPE hatchery_kernel_templates_held gauge\nhatchery_kernel_templates_held ").append(stats.held()).append('\n');
        sb.append("# HELP hatchery_kernel_template_evictions_total Templates dropped to fit the bounds.\n");
        sb.append("# TYPE hatchery_kernel_template_evictions_total counter\nhatchery_kernel_template_evictions_total ").append(stats.evictions())
            .append('\n');
    }

    /** Prometheus lines for the VM host's clone templates (not VMs: counted apart). */
    static void renderCloneTemplates(final StringBuilder sb, final dev.hatchery.vm.CloneTemplateStats stats)
    {
        sb.append("# HELP hatchery_clone_templates Booted VMs captured for cloning, kept per clone spec (not counted as VMs).\n");
        sb.append("# TYPE hatchery_clone_templates gauge\nhatchery_clone_templates ").append(stats.kept()).append('\n');
        sb.append("# HELP hatchery_clone_templates_held Clone templates held by requests in progress (never dropped).\n");
        sb.append("# TYPE hatchery_clone_templates_held gauge\nhatchery_clone_templates_held ").append(stats.held()).append('\n');
        sb.append("# HELP hatchery_clone_templates_max Clone templates kept when nobody holds them.\n");
        sb.append("# TYPE hatchery_clone_templates_max gauge\nhatchery_clone_templates_max ").append(stats.maxKept()).append('\n');
        sb.append("# HELP hatchery_clone_template_bytes Bytes the kept clone templates' memory files hold.\n");
        sb.append("# TYPE hatchery_clone_template_bytes gauge\nhatchery_clone_template_bytes ").append(stats.bytes()).append('\n');
        sb.append("# HELP hatchery_clone_template_evictions_total Clone templates dropped to fit the bound.\n");
        sb.append("# TYPE hatchery_clone_template_evictions_total counter\nhatchery_clone_template_evictions_total ").append(stats.dropped())
            .append('\n');
    }

    /** Prometheus lines for the host's shared network event loops: live ones, deaths (each replaced), VM networks lost. */
    static void renderNetLoops(final StringBuilder sb, final dev.hatchery.vm.NetLoopStats stats)
    {
        sb.append("# HELP hatchery_net_loops Shared network event loops serving now (hatchery.network.shared-loops once started).\n");
        sb.append("# TYPE hatchery_net_loops gauge\nhatchery_net_loops ").append(stats.alive()).append('\n');
        sb.append("# HELP hatchery_net_loops_died_total Shared network event loops whose thread died; each was replaced.\n");
        sb.append("# TYPE hatchery_net_loops_died_total counter\nhatchery_net_loops_died_total ").append(stats.died()).append('\n');
        sb.append("# HELP hatchery_vm_networks_lost_total VMs whose network stopped being served (handler failure or dead loop).\n");
        sb.append("# TYPE hatchery_vm_networks_lost_total counter\nhatchery_vm_networks_lost_total ").append(stats.networksLost())
            .append('\n');
    }

    private void observeBoot(final long nanos)
    {
        final double seconds = nanos / 1e9;
        int bucket = 0;
        while (bucket < BOOT_BUCKETS_SECONDS.length && seconds > BOOT_BUCKETS_SECONDS[bucket])
        {
            bucket++;
        }
        bootBuckets.incrementAndGet(bucket);
        bootMicrosSum.add(nanos / 1000);
    }

    private void renderBootHistogram(final StringBuilder sb)
    {
        sb.append("# HELP hatchery_boot_latency_seconds Time from the VM request to the guest's boot-complete write.\n");
        sb.append("# TYPE hatchery_boot_latency_seconds histogram\n");
        long count = 0;
        for (int i = 0; i < BOOT_BUCKETS_SECONDS.length; i++)
        {
            count += bootBuckets.get(i);
            sb.append("hatchery_boot_latency_seconds_bucket{le=\"").append(formatBound(BOOT_BUCKETS_SECONDS[i])).append("\"} ")
                .append(count).append('\n');
        }
        count += bootBuckets.get(BOOT_BUCKETS_SECONDS.length);
        sb.append("hatchery_boot_latency_seconds_bucket{le=\"+Inf\"} ").append(count).append('\n');
        sb.append("hatchery_boot_latency_seconds_sum ").append(String.format(Locale.ROOT, "%.6f", bootMicrosSum.sum() / 1e6)).append('\n');
        sb.append("hatchery_boot_latency_seconds_count ").append(count).append('\n');
    }

    private static String formatBound(final double bound)
    {
        return java.math.BigDecimal.valueOf(bound).stripTrailingZeros().toPlainString();
    }
}
