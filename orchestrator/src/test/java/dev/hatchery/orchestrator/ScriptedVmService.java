package dev.hatchery.orchestrator;

import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import dev.hatchery.orchestrator.report.BatchRecorder;
import dev.hatchery.orchestrator.report.ResourceUsage;
import dev.hatchery.vm.Phase;
import dev.hatchery.vm.Timeline;
import dev.hatchery.vm.VmOutcome;
import dev.hatchery.vm.VmResult;

/**
 * A test double of {@link VmService} for route tests (no KVM): batches whose VMs all "boot" one every
 * {@code vmIntervalMillis}, single VMs that boot at once, and refusals, failures and stalls on demand. The real service is
 * exercised end to end by HttpIT in the lab.
 */
public final class ScriptedVmService implements VmService, AutoCloseable
{
    private final KernelCatalog catalog;
    private final ServiceMetrics metrics = new ServiceMetrics();
    private final ScriptedFunctions functions = new ScriptedFunctions();
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();
    private final Map<String, BatchHandle> batches = new ConcurrentHashMap<>();
    private final Map<String, RunningVm> vms = new ConcurrentHashMap<>();
    private final List<String> cancelled = new ArrayList<>();
    private final List<String> stopped = new ArrayList<>();
    private final long vmIntervalMillis;
    private volatile Refusal refuseNext;
    private volatile dev.hatchery.orchestrator.ClusterView cluster;
    private volatile PlacedElsewhereException placeNext;
    private volatile CompletableFuture<Void> answerNext;
    private int nextId;

    public ScriptedVmService(final Path flatKernel, final long vmIntervalMillis)
    {
        this.catalog = KernelCatalog.fromEnvironment(Map.of("HATCHERY_FLAT_ELF", flatKernel.toString()));
        this.vmIntervalMillis = vmIntervalMillis;
    }

    /** The next submit or submitVm is refused with this. */
    /** Answers GET /v1/cluster with this view from now on; null: the node runs alone (404). */
    public void cluster(final ClusterView view)
    {
        cluster = view;
    }

    @Override
    public CompletionStage<Optional<ClusterView>> cluster()
    {
        return CompletableFuture.completedFuture(Optional.ofNullable(cluster));
    }

    public void refuseNext(final Refusal refusal)
    {
        refuseNext = refusal;
    }

    /** The next submit or submitVm fails with this error, as a bug in the service would. */
    public void failNext(final Throwable error)
    {
        answerNext = CompletableFuture.failedFuture(error);
    }

    /** The next submit or submitVm never answers, as a hung service would. */
    public void stallNext()
    {
        answerNext = new CompletableFuture<>();
    }

    public synchronized List<String> cancelled()
    {
        return List.copyOf(cancelled);
    }

    public synchronized List<String> stopped()
    {
        return List.copyOf(stopped);
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

    @Override
    public ScriptedFunctions functions()
    {
        return functions;
    }

    @Override
    public synchronized CompletionStage<BatchHandle> submit(final BatchRequest request)
    {
        final Refusal refusal = takeRefusal();
        if (refusal != null)
        {
            return CompletableFuture.failedFuture(new RefusedException(refusal));
        }
        final CompletableFuture<Void> scripted = takeAnswer();
        if (scripted != null)
        {
            return scripted.thenApply(ignored -> (BatchHandle)null);
        }
        final String id = "b" + (++nextId);
        final EventFeed<VmEvent> events = new EventFeed<>();
        final CompletableFuture<dev.hatchery.orchestrator.report.BatchReport> report = new CompletableFuture<>();
        final BatchRecorder recorder = new BatchRecorder(new BatchRecorder.Settings(request.kernelName(), request.count(),
            request.concurrency(), "template", false, "route test"));
        final long start = System.nanoTime();
        recorder.start(start);
        final int[] ended = {0};
        final BatchHandle handle = new BatchHandle(id, request, Instant.now(), () ->
        {
            synchronized (ended)
            {
                return new BatchProgress(id, request.count(), ended[0], 0, 0, 0, 0, 0, ended[0] == request.count());
            }
        }, events, report);
        batches.put(id, handle);
        for (int i = 0; i < request.count(); i++)
        {
            final String vmId = id + "-vm-" + i;
            timer.schedule(() ->
            {
                synchronized (ended)
                {
                    final VmResult result = bootedResult(vmId);
                    recorder.record(result);
                    ended[0]++;
                    events.append(VmEvent.of(id, ended[0], result));
                    if (ended[0] == request.count())
                    {
                        report.complete(recorder.finish(System.nanoTime(), new ResourceUsage(0.5, 1 << 20, 1 << 19)));
                        events.end();
                    }
                }
            }, vmIntervalMillis * (i + 1), TimeUnit.MILLISECONDS);
        }
        return CompletableFuture.completedFuture(handle);
    }

    @Override
    public Optional<BatchHandle> batch(final String batchId)
    {
        return Optional.ofNullable(batches.get(batchId));
    }

    @Override
    public synchronized boolean cancel(final String batchId)
    {
        cancelled.add(batchId);
        return batches.containsKey(batchId);
    }

    /** The next single VM goes to another node, as a cluster member places one (submitVmHere still takes it). */
    public void placeNextElsewhere(final PlacedElsewhereException placed)
    {
        placeNext = placed;
    }

    @Override
    public synchronized CompletionStage<RunningVm> submitVm(final SpawnRequest request)
    {
        final PlacedElsewhereException placed = placeNext;
        placeNext = null;
        if (placed != null)
        {
            return CompletableFuture.failedFuture(placed);
        }
        return submitVmHere(request);
    }

    @Override
    public synchronized CompletionStage<RunningVm> submitVmHere(final SpawnRequest request)
    {
        placeNext = null;
        final Refusal refusal = takeRefusal();
        if (refusal != null)
        {
            return CompletableFuture.failedFuture(new RefusedException(refusal));
        }
        final CompletableFuture<Void> scripted = takeAnswer();
        if (scripted != null)
        {
            return scripted.thenApply(ignored -> (RunningVm)null);
        }
        final String id = "vm-" + (++nextId);
        final RunningVm vm = new RunningVm(id, request.kernelName(), request.spec(), Instant.now());
        vms.put(id, vm);
        timer.schedule(() -> vm.end(new VmResult(id, VmOutcome.booted("stopped by request"), bootedResult(id).timeline(),
            "hello from " + id + "\n", 3)), vmIntervalMillis, TimeUnit.MILLISECONDS);
        return CompletableFuture.completedFuture(vm);
    }

    @Override
    public Optional<RunningVm> vm(final String vmId)
    {
        return Optional.ofNullable(vms.get(vmId));
    }

    @Override
    public synchronized boolean stopVm(final String vmId)
    {
        stopped.add(vmId);
        return vms.containsKey(vmId);
    }

    @Override
    public void close()
    {
        timer.shutdownNow();
    }

    private Refusal takeRefusal()
    {
        final Refusal refusal = refuseNext;
        refuseNext = null;
        return refusal;
    }

    private CompletableFuture<Void> takeAnswer()
    {
        final CompletableFuture<Void> answer = answerNext;
        answerNext = null;
        return answer;
    }

    private static VmResult bootedResult(final String vmId)
    {
        final Timeline timeline = Timeline.startingNow();
        timeline.mark(Phase.BOOT_COMPLETE, timeline.nanos(Phase.REQUEST) + 1_500_000);
        return new VmResult(vmId, VmOutcome.booted("stopped by request"), timeline, "", 0);
    }
}
