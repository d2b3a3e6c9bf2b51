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
import dev.hatchery.vm.VmActor;
import dev.hatchery.vm.VmFailure;
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
    /** For work off the actor (its context's log is the actor's alone). */
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(Supervisor.class);

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

    /** Asks what this node could take on now (for a cluster's split and {@code GET /v1/cluster}). */
    public record QueryCapacity(ActorRef<FreeCapacity> replyTo) implements Command
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

    private record KernelPrepared(String batchId, SharedByVms shared, Throwable error) implements Command
    {
    }

    private record KernelPreparedForVm(String vmId, SharedByVms shared, Throwable error) implements Command
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
    /** Single VMs that ended but whose memory is not released yet, with their guest RAM (given back on VmReleased). */
    private final Map<String, Long> awaitingRelease = new HashMap<>();
    private final Settings settings;
    private final Executor blocking;
    private final ActorRef<VmActor.Report> vmReports;
    private final ServiceMetrics metrics;
    private final Capacity capacity;
    private final Map<String, BatchRun> batches = new HashMap<>();
    private final Map<String, SingleVm> singles = new HashMap<>();
    private long nextBatch;
    private long nextVm;

    /**
     * Limits and labels the supervisor applies.
     *
     * @param stopTimeout how long a stopped VM's vCPU may take to return before the VM is reported stuck
     */
    public record Settings(Limits limits, MemoryBudget budget, boolean lab, String environment, java.time.Duration stopTimeout)
    {
    }

    /** A VM spawned on its own: its view, its actor once launched, and whether a stop came before that. */
    private static final class SingleVm
    {
        final RunningVm view;
        final SpawnRequest request;
        ActorRef<VmActor.Command> actor;
        /** Held in the kernel cache from preparation until this VM ends. */
        SharedByVms shared;
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
        this.capacity = new Capacity(settings.limits(), settings.budget(), () -> kernels.stats().bytesHeld(), metrics::memoryAdmitted);
        metrics.memoryBudget(settings.budget().bytes());
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
            .onMessage(QueryCapacity.class, query ->
            {
                query.replyTo().tell(capacity.free());
                return this;
            })
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
            start.replyTo().tell(new Rejected(Refusal.invalid(ex.field().apiName(), ex.getMessage())));
            return this;
        }
        catch (final IllegalArgumentException | IllegalStateException ex)
        {
            start.replyTo().tell(new Rejected(Refusal.invalid(null, ex.getMessage())));
            return this;
        }
        final int wanted = Math.min(request.count(), request.concurrency());
        final Capacity.Reservation reservation = capacity.reserveBatchUpTo(wanted, request.spec().memBytes());
        if (reservation.refusal() != null)
        {
            getContext().getLog().info("batch.refused kind={} reason=\"{}\"", reservation.refusal().kind(), reservation.refusal().message());
            start.replyTo().tell(new Rejected(reservation.refusal()));
            return this;
        }
        final String id = "b" + (++nextBatch);
        if (reservation.vms() < wanted)
        {
            getContext().getLog().info("batch.throttled batch={} concurrency={} wanted={} reason=\"host memory budget\" budget_mib={} admitted_mib={}",
                id, reservation.vms(), wanted, capacity.budget().mib(), capacity.admittedBytes() >> 20);
        }
        final BatchRun run = new BatchRun(id, request, new BatchRecorder(new BatchRecorder.Settings(request.kernelName(), request.count(),
            reservation.vms(), request.spec().memoryMode().name().toLowerCase(java.util.Locale.ROOT), settings.lab(), settings.environment())),
            reservation.vms(), reservation.vms() < wanted);
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
        if (run == null || run.report.isDone())
        {
            releaseShared(prepared.shared());
            return this;
        }
        ProcessResources.resetPeakRss();
        run.cpuSecondsAtStart = ProcessResources.processCpuSeconds();
        run.baselineRssBytes = ProcessResources.currentRssBytes();
        // Null only in tests whose batches never reach a VM.
        run.hostAtStart = host == null ? null : host.stats();
        run.startNanos = System.nanoTime();
        run.recorder.start(run.startNanos);
        if (prepared.error() != null)
        {
            run.endUnlaunched(preparationFailure(prepared.error()), metrics);
            finishIfComplete(run);
            return this;
        }
        if (run.cancelled)
        {
            // Cancelled while its kernel was prepared: nothing is launched, every VM counts once as cancelled.
            releaseShared(prepared.shared());
            endUnlaunchedAsCancelled(run);
            return this;
        }
        run.shared = prepared.shared();
        if (run.shared.cloneTemplate() != null)
        {
            final dev.hatchery.vm.CloneTemplate template = run.shared.cloneTemplate();
            run.recorder.cloneTemplate(new dev.hatchery.orchestrator.report.CloneTemplateSummary(template.prepareNanos() / 1e6,
                template.capturedBytes()));
        }
        launch(run);
        return this;
    }

    /**
     * What every VM of a request shares, made once before the first VM: the kernel's template (reading,
     * parsing and laying it out the first time), for networked VMs the tap pool and event loops, and for clones the
     * clone template (booting its VM the first time). Blocking work, off this actor.
     */
    private void prepareKernel(final dev.hatchery.config.VmSpec spec,
        final akka.japi.function.Function2<SharedByVms, Throwable, Command> toMessage)
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
                    throw new PreparationException(new VmFailure.NetworkPreparation(String.valueOf(ex.getMessage())), ex);
                }
            }
            final boolean clone = spec.spawn() == dev.hatchery.config.SpawnMode.CLONE;
            // Clones never boot: the kernel is the template VM's, prepared for its command line.
            final dev.hatchery.config.VmSpec bootSpec = clone ? spec.cloneTemplateSpec() : spec;
            final PreparedKernel kernel;
            try
            {
                // Held until the request ends (finishIfComplete, endSingle): a bounded cache does not drop it meanwhile.
                kernel = kernels.acquire(bootSpec);
            }
            catch (final RuntimeException ex)
            {
                throw new PreparationException(new VmFailure.KernelImage(String.valueOf(ex.getMessage())), ex);
            }
            try
            {
                host.prepareShells(bootSpec, kernel);
            }
            catch (final RuntimeException ex)
            {
                // Shells only save time: without them every VM is built on the direct path, which still works.
                LOG.warn("shells.prepare_failed mem_mib={} error=\"{}\"", spec.memMib(), ex.getMessage());
            }
            if (!clone)
            {
                return new SharedByVms(kernel, null);
            }
            try
            {
                return new SharedByVms(kernel, host.acquireCloneTemplate(spec, kernel));
            }
            catch (final RuntimeException ex)
            {
                kernels.release(kernel);
                throw new PreparationException(new VmFailure.CloneTemplate(String.valueOf(ex.getMessage())), ex);
            }
        }, blocking), toMessage);
    }

    /** Why what the VMs share could not be made: the failure every VM of the request ends with. */
    private static final class PreparationException extends RuntimeException
    {
        private static final long serialVersionUID = 1L;

        private final transient VmFailure failure;

        PreparationException(final VmFailure failure, final Throwable cause)
        {
            super(failure.describe(), cause);
            this.failure = failure;
        }
    }

    private static VmOutcome preparationFailure(final Throwable error)
    {
        final Throwable cause = error instanceof java.util.concurrent.CompletionException && error.getCause() != null ? error.getCause() : error;
        return VmOutcome.of(cause instanceof PreparationException preparation ? preparation.failure
            : new VmFailure.HostError("preparation failed: " + cause.getClass().getName(), String.valueOf(cause.getMessage())));
    }

    private VmActor.Settings vmSettings(final String batchId, final String vmId, final SharedByVms shared,
        final dev.hatchery.config.VmSpec spec, final boolean stopAtBootComplete)
    {
        return vmSettings(batchId, vmId, shared, spec, stopAtBootComplete, null);
    }

    private VmActor.Settings vmSettings(final String batchId, final String vmId, final SharedByVms shared,
        final dev.hatchery.config.VmSpec spec, final boolean stopAtBootComplete, final dev.hatchery.vm.FunctionCall call)
    {
        return new VmActor.Settings(batchId, vmId, shared.kernel(), spec, stopAtBootComplete, settings.stopTimeout(), Timeline.startingNow(),
            shared.cloneTemplate(), call);
    }

    private void launch(final BatchRun run)
    {
        for (int i = run.launchable(); i > 0; i--)
        {
            final String vmId = run.id + "-vm-" + run.launched++;
            final ActorRef<VmActor.Command> vm = getContext().spawn(
                VmActor.create(host, vmSettings(run.id, vmId, run.shared, run.request.spec(), run.request.stopAtBootComplete()), vmReports),
                vmId, DispatcherSelector.fromConfig("hatchery.vm-dispatcher"));
            getContext().watchWith(vm, new VmActorStopped(run.id, vmId));
            run.running.put(vmId, vm);
        }
        run.publish();
    }

    private Behavior<Command> onFromVm(final FromVm message)
    {
        // Report is sealed: these four are all there are (a pattern switch would say so, from Java 21 on).
        final VmActor.Report report = message.report();
        if (report instanceof VmActor.VmLaunched launched)
        {
            onVmLaunched(launched);
        }
        else if (report instanceof VmActor.VmBooted booted)
        {
            onVmBooted(booted);
        }
        else if (report instanceof VmActor.VmEnded ended)
        {
            onVmEnded(ended);
        }
        else if (report instanceof VmActor.VmReleased released)
        {
            onVmReleased(released);
        }
        return this;
    }

    private void onVmLaunched(final VmActor.VmLaunched launched)
    {
        metrics.vmStarted();
        if (launched.batchId() == null)
        {
            final SingleVm single = singles.get(launched.vmId());
            if (single != null)
            {
                single.started = true;
                single.view.launched(launched.snapshot());
            }
            return;
        }
        final BatchRun run = batches.get(launched.batchId());
        if (run != null)
        {
            run.started.add(launched.vmId());
        }
    }

    /** A single VM's view shows the boot at once; a batch VM's boot is counted when it ends, with its whole timeline. */
    private void onVmBooted(final VmActor.VmBooted booted)
    {
        final SingleVm single = booted.batchId() == null ? singles.get(booted.vmId()) : null;
        if (single != null)
        {
            single.view.booted(booted.snapshot());
        }
    }

    private void onVmEnded(final VmActor.VmEnded ended)
    {
        if (ended.batchId() == null)
        {
            endSingle(ended.vmId(), ended.result(), ended.launched());
            return;
        }
        final BatchRun run = batches.get(ended.batchId());
        if (run != null && run.running.containsKey(ended.vmId()))
        {
            if (ended.launched())
            {
                run.unreleased++;
            }
            endBatchVm(run, ended.result());
        }
    }

    /** A launched VM's memory is released: its share of the host memory budget is free from now on. */
    private void onVmReleased(final VmActor.VmReleased released)
    {
        if (released.batchId() == null)
        {
            final Long memBytes = awaitingRelease.remove(released.vmId());
            if (memBytes != null)
            {
                capacity.releaseVm(memBytes);
            }
            return;
        }
        final BatchRun run = batches.get(released.batchId());
        if (run != null)
        {
            run.unreleased--;
            launch(run);
            drainIfDone(run);
        }
    }

    /** A VM actor that stopped without reporting its end (it cannot, normally) still counts, as failed. */
    private Behavior<Command> onVmActorStopped(final VmActorStopped stopped)
    {
        final VmResult lost = new VmResult(stopped.vmId(),
            VmOutcome.of(new VmFailure.HostError("VM actor stopped without reporting an outcome", "")), new Timeline(), "", 0);
        if (stopped.batchId() == null)
        {
            endSingle(stopped.vmId(), lost, false);
            return this;
        }
        final BatchRun run = batches.get(stopped.batchId());
        if (run != null && run.running.containsKey(stopped.vmId()))
        {
            endBatchVm(run, lost);
        }
        return this;
    }

    /** A batch VM in flight ended: count it, launch the next one, finish the batch when it was the last. */
    private void endBatchVm(final BatchRun run, final VmResult result)
    {
        metrics.vmEnded(result, run.started.remove(result.vmId()));
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
            spawn.replyTo().tell(new Rejected(Refusal.invalid(dev.hatchery.config.SpecField.HUGE_PAGES.apiName(), ex.getMessage())));
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
            releaseShared(prepared.shared());
            return this;
        }
        single.shared = prepared.shared();
        if (prepared.error() != null)
        {
            endSingle(prepared.vmId(), new VmResult(prepared.vmId(), preparationFailure(prepared.error()), new Timeline(), "", 0), false);
            return this;
        }
        if (single.stopRequested)
        {
            endSingle(prepared.vmId(), new VmResult(prepared.vmId(), VmOutcome.of(new VmFailure.Cancelled("stopped before launch")),
                new Timeline(), "", 0), false);
            return this;
        }
        single.actor = getContext().spawn(VmActor.create(host, vmSettings(null, prepared.vmId(), prepared.shared(), single.request.spec(), false, single.request.call()),
            vmReports), prepared.vmId(), DispatcherSelector.fromConfig("hatchery.vm-dispatcher"));
        single.view.attach(single.actor, getContext().getSystem().scheduler());
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
                single.actor.tell(new VmActor.Stop());
            }
        }
        return this;
    }

    /** {@code launched}: the VM was built, so its memory is given back when it is released (VmReleased), not now. */
    private void endSingle(final String vmId, final VmResult result, final boolean launched)
    {
        final SingleVm single = singles.remove(vmId);
        if (single == null)
        {
            return;
        }
        if (launched)
        {
            awaitingRelease.put(vmId, single.request.spec().memBytes());
        }
        else
        {
            capacity.releaseVm(single.request.spec().memBytes());
        }
        releaseShared(single.shared);
        single.shared = null;
        metrics.vmEnded(result, single.started);
        single.view.end(result);
        getContext().getLog().info("vm.ended vm={} outcome={} failure={} reason=\"{}\"", vmId, result.outcome().kind(),
            result.outcome().failure() == null ? "none" : result.outcome().failure().code(), result.outcome().reason());
    }

    private Behavior<Command> onCancelBatch(final CancelBatch cancel)
    {
        final BatchRun run = batches.get(cancel.batchId());
        if (run != null && !run.cancelled && !run.complete())
        {
            run.cancelled = true;
            run.running.values().forEach(vm -> vm.tell(new VmActor.Stop()));
            if (!run.recorder.isStarted())
            {
                // Its kernel is still being prepared: the batch has not started, so its VMs end as cancelled when it has
                // (onKernelPrepared), not here.
                return this;
            }
            endUnlaunchedAsCancelled(run);
        }
        return this;
    }

    private void endUnlaunchedAsCancelled(final BatchRun run)
    {
        run.endUnlaunched(VmOutcome.of(new VmFailure.Cancelled("cancelled before launch")), metrics);
        finishIfComplete(run);
    }

    private void finishIfComplete(final BatchRun run)
    {
        if (!run.complete() || run.report.isDone())
        {
            return;
        }
        final BatchReport report = run.recorder.finish(System.nanoTime(), ResourceUsage.sample(run.cpuSecondsAtStart, run.baselineRssBytes,
            run.hostAtStart == null ? -1 : host.stats().guestPrivateBytesPerVmSince(run.hostAtStart)));
        releaseShared(run.shared);
        run.shared = null;
        run.publish();
        run.events.end();
        getContext().getLog().info("batch.finished batch={} booted={} failed={} timed_out={} cancelled={} wall_s={} boots_per_s={}",
            run.id, report.booted(), report.failed(), report.timedOut(), report.cancelled(), report.wallSeconds(), report.throughputPerSecond());
        run.report.complete(report);
        drainIfDone(run);
    }

    /** Gives a finished batch's capacity back once every VM it launched has released its memory too. */
    private void drainIfDone(final BatchRun run)
    {
        if (run.report.isDone() && run.unreleased == 0 && !run.drained)
        {
            run.drained = true;
            batches.remove(run.id);
            capacity.releaseBatch(run.reservedVms, run.request.spec().memBytes());
        }
    }

    /** Ends a request's hold on its kernel template and clone template (null: it had none, its preparation failed). */
    private void releaseShared(final SharedByVms shared)
    {
        if (shared != null)
        {
            if (shared.cloneTemplate() != null)
            {
                shared.cloneTemplate().close();
            }
            kernels.release(shared.kernel());
        }
    }

    private Behavior<Command> onPostStop()
    {
        for (final BatchRun run : batches.values())
        {
            run.report.completeExceptionally(new IllegalStateException("supervisor stopped before batch " + run.id + " finished at "
                + Instant.now()));
            run.events.end();
            releaseShared(run.shared);
        }
        for (final SingleVm single : singles.values())
        {
            final dev.hatchery.vm.VmSnapshot last = single.view.snapshot();
            single.view.end(new VmResult(single.view.id(), VmOutcome.of(new VmFailure.Cancelled("service stopped")), last.timeline(),
                last.console(), 0));
            releaseShared(single.shared);
        }
        return this;
    }
}
