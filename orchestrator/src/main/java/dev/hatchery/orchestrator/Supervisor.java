package dev.hatchery.orchestrator;

import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;

import akka.actor.typed.ActorRef;
import akka.actor.typed.Behavior;
import akka.actor.typed.DispatcherSelector;
import akka.actor.typed.PostStop;
import akka.actor.typed.SupervisorStrategy;
import akka.actor.typed.javadsl.AbstractBehavior;
import akka.actor.typed.javadsl.ActorContext;
import akka.actor.typed.javadsl.Behaviors;
import akka.actor.typed.javadsl.Receive;

import dev.hatchery.kernel.KernelCache;
import dev.hatchery.kernel.PreparedKernel;
import dev.hatchery.orchestrator.report.BatchRecorder;
import dev.hatchery.orchestrator.report.BatchReport;
import dev.hatchery.orchestrator.report.ProcessResources;
import dev.hatchery.orchestrator.report.ResourceUsage;
import dev.hatchery.vm.Timeline;
import dev.hatchery.vm.VmHost;
import dev.hatchery.vm.VmOutcome;
import dev.hatchery.vm.VmResult;

/**
 * Holds what every VM shares (the KVM host, the kernel cache) and runs batches: it spawns one
 * {@link VmActor} per VM, keeps at most the requested number in flight, gathers boot-complete and end
 * events, and accounts for every VM exactly once. A failing VM never affects another: each VM actor is
 * its own failure domain, watched by this actor.
 */
public final class Supervisor extends AbstractBehavior<Supervisor.Command>
{
    /** What the supervisor accepts. */
    public sealed interface Command
    {
    }

    /** Starts a batch; the reply carries its handle, or the reason it was refused. */
    public record StartBatch(BatchRequest request, ActorRef<StartReply> replyTo) implements Command
    {
    }

    /** Stops a batch's running VMs and ends the ones not yet launched as cancelled. */
    public record CancelBatch(String batchId) implements Command
    {
    }

    /** Starts one VM that runs until the guest ends it or it is stopped; the reply carries its view, or the refusal. */
    public record SpawnVm(SpawnRequest request, ActorRef<SpawnReply> replyTo) implements Command
    {
    }

    /** Stops a VM spawned with {@link SpawnVm}; it then ends (and its view shows how). */
    public record StopVm(String vmId) implements Command
    {
    }

    /** Answer to {@link StartBatch}. */
    public sealed interface StartReply
    {
    }

    /** Answer to {@link SpawnVm}. */
    public sealed interface SpawnReply
    {
    }

    /** The VM is being built; follow it through the view. */
    public record VmAccepted(RunningVm vm) implements SpawnReply
    {
    }

    /** The batch runs; progress and report can be followed through the handle. */
    public record Accepted(BatchHandle handle) implements StartReply
    {
    }

    /** The request was refused before anything started. */
    public record Rejected(Refusal refusal) implements StartReply, SpawnReply
    {
        public String reason()
        {
            return refusal.message();
        }
    }

    private record KernelPrepared(String batchId, PreparedKernel kernel, Throwable error) implements Command
    {
    }

    private record KernelPreparedForVm(String vmId, PreparedKernel kernel, Throwable error) implements Command
    {
    }

    private record FromVm(VmActor.Report report) implements Command
    {
    }

    private record VmActorStopped(String batchId, String vmId) implements Command
    {
    }

    private final VmHost host;
    private final KernelCache kernels;
    private final Settings settings;
    private final Executor blocking;
    private final ActorRef<VmActor.Report> vmReports;
    private final ServiceMetrics metrics;
    private final Capacity capacity;
    private final Map<String, BatchRun> batches = new HashMap<>();
    private final Map<String, SingleVm> singles = new HashMap<>();
    private long nextBatch;
    private long nextVm;

    /** Limits and labels the supervisor applies. */
    public record Settings(Limits limits, boolean lab, String environment)
    {
    }

    /** A VM spawned on its own: its view, its actor once launched, and whether a stop came before that. */
    private static final class SingleVm
    {
        final RunningVm view;
        final SpawnRequest request;
        ActorRef<VmActor.Command> actor;
        boolean stopRequested;
        boolean started;

        SingleVm(final RunningVm view, final SpawnRequest request)
        {
            this.view = view;
            this.request = request;
        }
    }

    private Supervisor(final ActorContext<Command> context, final VmHost host, final KernelCache kernels, final Settings settings,
        final ServiceMetrics metrics)
    {
        super(context);
        this.host = host;
        this.kernels = kernels;
        this.settings = settings;
        this.metrics = metrics;
        this.capacity = new Capacity(settings.limits());
        this.blocking = context.getSystem().dispatchers().lookup(DispatcherSelector.fromConfig("hatchery.vm-dispatcher"));
        this.vmReports = context.messageAdapter(VmActor.Report.class, FromVm::new);
    }

    public static Behavior<Command> create(final VmHost host, final KernelCache kernels, final Settings settings,
        final ServiceMetrics metrics)
    {
        return Behaviors.<Command>supervise(Behaviors.setup(context -> new Supervisor(context, host, kernels, settings, metrics)))
            .onFailure(SupervisorStrategy.resume());
    }

    @Override
    public Receive<Command> createReceive()
    {
        return newReceiveBuilder()
            .onMessage(StartBatch.class, this::onStartBatch)
            .onMessage(CancelBatch.class, this::onCancelBatch)
            .onMessage(SpawnVm.class, this::onSpawnVm)
            .onMessage(StopVm.class, this::onStopVm)
            .onMessage(KernelPrepared.class, this::onKernelPrepared)
            .onMessage(KernelPreparedForVm.class, this::onKernelPreparedForVm)
            .onMessage(FromVm.class, this::onFromVm)
            .onMessage(VmActorStopped.class, this::onVmActorStopped)
            .onSignal(PostStop.class, signal -> onPostStop())
            .build();
    }

    private Behavior<Command> onStartBatch(final StartBatch start)
    {
        final BatchRequest request;
        try
        {
            request = start.request().validate(settings.limits().maxBatchCount(), settings.limits().maxBatchConcurrency());
            dev.hatchery.kvm.HostHugePages.checkAvailable(request.spec().hugePages(), request.spec().memBytes());
        }
        catch (final dev.hatchery.config.InvalidSpecException ex)
        {
            start.replyTo().tell(new Rejected(Refusal.invalid(ex.field(), ex.getMessage())));
            return this;
        }
        catch (final IllegalArgumentException | IllegalStateException ex)
        {
            start.replyTo().tell(new Rejected(Refusal.invalid(null, ex.getMessage())));
            return this;
        }
        final Refusal refusal = capacity.reserveBatch(Math.min(request.count(), request.concurrency()), request.spec().memBytes());
        if (refusal != null)
        {
            getContext().getLog().info("batch.refused kind={} reason=\"{}\"", refusal.kind(), refusal.message());
            start.replyTo().tell(new Rejected(refusal));
            return this;
        }
        final String id = "b" + (++nextBatch);
        final BatchRun run = new BatchRun(id, request, new BatchRecorder(new BatchRecorder.Settings(request.kernelName(), request.count(),
            request.concurrency(), request.spec().memoryMode().name().toLowerCase(java.util.Locale.ROOT), settings.lab(), settings.environment())));
        batches.put(id, run);
        start.replyTo().tell(new Accepted(new BatchHandle(id, request, Instant.now(), run::progress, run.events, run.report)));
        getContext().getLog().info("batch.started batch={} kernel={} count={} concurrency={} memory={}",
            id, request.kernelName(), request.count(), request.concurrency(), request.spec().memoryMode());
        prepareKernel(request.spec(), (kernel, error) -> new KernelPrepared(id, kernel, error));
        return this;
    }

    private Behavior<Command> onKernelPrepared(final KernelPrepared prepared)
    {
        final BatchRun run = batches.get(prepared.batchId());
        if (run == null)
        {
            return this;
        }
        ProcessResources.resetPeakRss();
        run.cpuSecondsAtStart = ProcessResources.processCpuSeconds();
        run.baselineRssBytes = ProcessResources.currentRssBytes();
        run.startNanos = System.nanoTime();
        run.recorder.start(run.startNanos);
        if (prepared.error() != null)
        {
            run.endUnlaunched(preparationFailure(prepared.error()), metrics);
            finishIfComplete(run);
            return this;
        }
        run.kernel = prepared.kernel();
        launch(run);
        return this;
    }

    /**
     * What every VM of a request shares, made once before the first VM: the kernel's template (reading,
     * parsing and laying it out the first time) and, for networked VMs, the tap pool and event loops.
     * Blocking work, off this actor.
     */
    private void prepareKernel(final dev.hatchery.config.VmSpec spec,
        final akka.japi.function.Function2<PreparedKernel, Throwable, Command> toMessage)
    {
        getContext().pipeToSelf(CompletableFuture.supplyAsync(() ->
        {
            if (spec.network())
            {
                try
                {
                    host.prepareNetwork();
                }
                catch (final RuntimeException ex)
                {
                    throw new PreparationException("network could not be prepared: " + ex.getMessage(), ex);
                }
            }
            try
            {
                return kernels.prepare(spec);
            }
            catch (final RuntimeException ex)
            {
                throw new PreparationException("kernel could not be prepared: " + ex.getMessage(), ex);
            }
        }, blocking), toMessage);
    }

    /** Why what the VMs share could not be made; its message is the VMs' failure reason. */
    private static final class PreparationException extends RuntimeException
    {
        private static final long serialVersionUID = 1L;

        PreparationException(final String message, final Throwable cause)
        {
            super(message, cause);
        }
    }

    private static VmOutcome preparationFailure(final Throwable error)
    {
        final Throwable cause = error instanceof java.util.concurrent.CompletionException && error.getCause() != null ? error.getCause() : error;
        return VmOutcome.failed(cause instanceof PreparationException ? cause.getMessage() : "preparation failed: " + cause);
    }

    private void launch(final BatchRun run)
    {
        for (int i = run.launchable(); i > 0; i--)
        {
            final String vmId = run.id + "-vm-" + run.launched++;
            final ActorRef<VmActor.Command> vm = getContext().spawn(
                VmActor.create(run.id, vmId, host, run.kernel, run.request.spec(), run.request.stopAtBootComplete(), Timeline.startingNow(),
                    vmReports),
                vmId, DispatcherSelector.fromConfig("hatchery.vm-dispatcher"));
            getContext().watchWith(vm, new VmActorStopped(run.id, vmId));
            run.running.put(vmId, vm);
        }
        run.publish();
    }

    private Behavior<Command> onFromVm(final FromVm message)
    {
        if (message.report() instanceof VmActor.VmLaunched launched)
        {
            metrics.vmStarted();
            final SingleVm single = launched.batchId() == null ? singles.get(launched.vmId()) : null;
            if (single != null)
            {
                single.started = true;
                single.view.launched(launched.vm());
            }
            else if (launched.batchId() != null)
            {
                final BatchRun run = batches.get(launched.batchId());
                if (run != null)
                {
                    run.started.add(launched.vmId());
                }
            }
        }
        else if (message.report() instanceof VmActor.VmEnded ended)
        {
            final ServiceMetrics.FailureReason failure = ended.launched() ? ServiceMetrics.FailureReason.GUEST : ServiceMetrics.FailureReason.BUILD;
            if (ended.batchId() == null)
            {
                endSingle(ended.result().vmId(), ended.result(), failure);
                return this;
            }
            final BatchRun run = batches.get(ended.batchId());
            if (run != null && run.running.containsKey(ended.result().vmId()))
            {
                endBatchVm(run, ended.result(), failure);
            }
        }
        return this;
    }

    /** A VM actor that stopped without reporting its end (it cannot, normally) still counts, as failed. */
    private Behavior<Command> onVmActorStopped(final VmActorStopped stopped)
    {
        final VmResult lost = new VmResult(stopped.vmId(), VmOutcome.failed("VM actor stopped without reporting an outcome"), new Timeline(), "", 0);
        if (stopped.batchId() == null)
        {
            endSingle(stopped.vmId(), lost, ServiceMetrics.FailureReason.GUEST);
            return this;
        }
        final BatchRun run = batches.get(stopped.batchId());
        if (run != null && run.running.containsKey(stopped.vmId()))
        {
            endBatchVm(run, lost, ServiceMetrics.FailureReason.GUEST);
        }
        return this;
    }

    /** A batch VM in flight ended: count it, launch the next one, finish the batch when it was the last. */
    private void endBatchVm(final BatchRun run, final VmResult result, final ServiceMetrics.FailureReason whenFailed)
    {
        metrics.vmEnded(result, run.started.remove(result.vmId()), whenFailed);
        run.ended(result);
        launch(run);
        finishIfComplete(run);
    }

    private Behavior<Command> onSpawnVm(final SpawnVm spawn)
    {
        final SpawnRequest request = spawn.request();
        try
        {
            dev.hatchery.kvm.HostHugePages.checkAvailable(request.spec().hugePages(), request.spec().memBytes());
        }
        catch (final IllegalArgumentException | IllegalStateException ex)
        {
            spawn.replyTo().tell(new Rejected(Refusal.invalid("hugePages", ex.getMessage())));
            return this;
        }
        final Refusal refusal = capacity.reserveVm(request.spec().memBytes());
        if (refusal != null)
        {
            getContext().getLog().info("vm.refused kind={} reason=\"{}\"", refusal.kind(), refusal.message());
            spawn.replyTo().tell(new Rejected(refusal));
            return this;
        }
        final String vmId = "vm-" + (++nextVm);
        final SingleVm single = new SingleVm(new RunningVm(vmId, request.kernelName(), request.spec(), Instant.now()), request);
        singles.put(vmId, single);
        spawn.replyTo().tell(new VmAccepted(single.view));
        getContext().getLog().info("vm.accepted vm={} kernel={} mem_mib={} network={}", vmId, request.kernelName(),
            request.spec().memMib(), request.spec().network());
        prepareKernel(request.spec(), (kernel, error) -> new KernelPreparedForVm(vmId, kernel, error));
        return this;
    }

    private Behavior<Command> onKernelPreparedForVm(final KernelPreparedForVm prepared)
    {
        final SingleVm single = singles.get(prepared.vmId());
        if (single == null)
        {
            return this;
        }
        if (prepared.error() != null)
        {
            endSingle(prepared.vmId(), new VmResult(prepared.vmId(), preparationFailure(prepared.error()), new Timeline(), "", 0),
                ServiceMetrics.FailureReason.PREPARATION);
            return this;
        }
        if (single.stopRequested)
        {
            endSingle(prepared.vmId(), new VmResult(prepared.vmId(), VmOutcome.cancelled("stopped before launch"), new Timeline(), "", 0),
                ServiceMetrics.FailureReason.GUEST);
            return this;
        }
        single.actor = getContext().spawn(VmActor.create(null, prepared.vmId(), host, prepared.kernel(), single.request.spec(), false,
            Timeline.startingNow(), vmReports), prepared.vmId(), DispatcherSelector.fromConfig("hatchery.vm-dispatcher"));
        getContext().watchWith(single.actor, new VmActorStopped(null, prepared.vmId()));
        return this;
    }

    private Behavior<Command> onStopVm(final StopVm stop)
    {
        final SingleVm single = singles.get(stop.vmId());
        if (single != null)
        {
            single.stopRequested = true;
            if (single.actor != null)
            {
                single.actor.tell(VmActor.Stop.INSTANCE);
            }
        }
        return this;
    }

    private void endSingle(final String vmId, final VmResult result, final ServiceMetrics.FailureReason failure)
    {
        final SingleVm single = singles.remove(vmId);
        if (single == null)
        {
            return;
        }
        capacity.releaseVm(single.request.spec().memBytes());
        metrics.vmEnded(result, single.started, failure);
        single.view.end(result);
        getContext().getLog().info("vm.ended vm={} outcome={} reason=\"{}\"", vmId, result.outcome().kind(), result.outcome().reason());
    }

    private Behavior<Command> onCancelBatch(final CancelBatch cancel)
    {
        final BatchRun run = batches.get(cancel.batchId());
        if (run != null && !run.cancelled && !run.complete())
        {
            run.cancelled = true;
            run.running.values().forEach(vm -> vm.tell(VmActor.Stop.INSTANCE));
            run.endUnlaunched(VmOutcome.cancelled("cancelled before launch"), metrics);
            finishIfComplete(run);
        }
        return this;
    }

    private void finishIfComplete(final BatchRun run)
    {
        if (!run.complete() || run.report.isDone())
        {
            return;
        }
        final BatchReport report = run.recorder.finish(System.nanoTime(), ResourceUsage.sample(run.cpuSecondsAtStart, run.baselineRssBytes));
        batches.remove(run.id);
        capacity.releaseBatch(run.reservedVms, run.request.spec().memBytes());
        run.publish();
        run.events.end();
        getContext().getLog().info("batch.finished batch={} booted={} failed={} timed_out={} cancelled={} wall_s={} boots_per_s={}",
            run.id, report.booted(), report.failed(), report.timedOut(), report.cancelled(), report.wallSeconds(), report.throughputPerSecond());
        run.report.complete(report);
    }

    private Behavior<Command> onPostStop()
    {
        for (final BatchRun run : batches.values())
        {
            run.report.completeExceptionally(new IllegalStateException("supervisor stopped before batch " + run.id + " finished at "
                + Instant.now()));
            run.events.end();
        }
        for (final SingleVm single : singles.values())
        {
            single.view.end(new VmResult(single.view.id(), VmOutcome.cancelled("service stopped"), new Timeline(), single.view.console(), 0));
        }
        return this;
    }
}
