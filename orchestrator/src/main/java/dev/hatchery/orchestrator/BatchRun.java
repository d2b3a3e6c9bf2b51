package dev.hatchery.orchestrator;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

import akka.actor.typed.ActorRef;

import dev.hatchery.kernel.PreparedKernel;
import dev.hatchery.orchestrator.report.BatchRecorder;
import dev.hatchery.orchestrator.report.BatchReport;
import dev.hatchery.vm.VmActor;
import dev.hatchery.vm.VmOutcome;
import dev.hatchery.vm.VmResult;

/**
 * The supervisor's bookkeeping for one batch: what is launched, in flight and ended, and the recorder
 * that becomes the report. Confined to the supervisor actor; progress and the report are published
 * through thread-safe holders for callers outside the actor system.
 */
final class BatchRun
{
    final String id;
    final BatchRequest request;
    final BatchRecorder recorder;
    final Map<String, ActorRef<VmActor.Command>> running = new LinkedHashMap<>();
    /** VMs in flight that were built and started (counted as running in the metrics). */
    final java.util.Set<String> started = new java.util.HashSet<>();
    final CompletableFuture<BatchReport> report = new CompletableFuture<>();
    final EventFeed<VmEvent> events = new EventFeed<>();
    /** VMs this batch reserved capacity for: at most this many are in flight. */
    final int reservedVms;
    /**
     * Held to the host memory budget (fewer VMs at once than asked): then a VM counts against {@link #reservedVms} until
     * its memory is released, not only until it ends, so that VMs in teardown and new ones never pass the budget together.
     */
    final boolean throttled;
    /** VMs that ended but whose memory is not released yet (a teardown thread releases it; VmReleased says so). */
    int unreleased;
    /** The batch's capacity was given back (its report is out and every VM released). */
    boolean drained;
    private volatile BatchProgress progress;
    SharedByVms shared;
    long startNanos;
    double cpuSecondsAtStart;
    long baselineRssBytes;
    /** The VM host's counters when the batch started, for what changed during it (guest memory measured). */
    dev.hatchery.vm.HostStats hostAtStart;
    int launched;
    boolean cancelled;
    private int booted;
    private int failed;
    private int timedOut;
    private int cancelledCount;

    /** {@code reservedVms}: VMs it may run at once, min(count, concurrency) or fewer when host memory is short. */
    BatchRun(final String id, final BatchRequest request, final BatchRecorder recorder, final int reservedVms, final boolean throttled)
    {
        this.throttled = throttled;
        this.id = id;
        this.request = request;
        this.recorder = recorder;
        this.reservedVms = reservedVms;
        this.progress = new BatchProgress(id, request.count(), 0, 0, 0, 0, 0, 0, false);
    }

    BatchProgress progress()
    {
        return progress;
    }

    /** VMs that may still be launched now. */
    int launchable()
    {
        if (cancelled || shared == null)
        {
            return 0;
        }
        return Math.min(request.count() - launched, reservedVms - running.size() - (throttled ? unreleased : 0));
    }

    void ended(final VmResult result)
    {
        running.remove(result.vmId());
        recorder.record(result);
        events.append(VmEvent.of(id, recorder.recorded(), result));
        switch (result.outcome().kind())
        {
            case BOOTED -> booted++;
            case FAILED -> failed++;
            case TIMED_OUT -> timedOut++;
            case CANCELLED -> cancelledCount++;
            default -> throw new IllegalStateException("unknown outcome " + result.outcome());
        }
        publish();
    }

    /** VMs never launched because the batch was cancelled (or its kernel could not be prepared) still count once each. */
    void endUnlaunched(final VmOutcome outcome, final ServiceMetrics metrics)
    {
        while (launched < request.count())
        {
            final VmResult result = new VmResult(id + "-vm-" + launched++, outcome, new dev.hatchery.vm.Timeline(), "", 0);
            metrics.vmEnded(result, false);
            ended(result);
        }
    }

    boolean complete()
    {
        return recorder.recorded() == request.count();
    }

    void publish()
    {
        final double seconds = startNanos == 0 ? 0 : (System.nanoTime() - startNanos) / 1e9;
        progress = new BatchProgress(id, request.count(), booted, failed, timedOut, cancelledCount, running.size(),
            seconds > 0 ? booted / seconds : 0, complete());
    }
}
