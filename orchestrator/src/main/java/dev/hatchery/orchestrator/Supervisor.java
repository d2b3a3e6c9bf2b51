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

    /** Answer to {@link StartBatch}. */
    public sealed interface StartReply
    {
    }

    /** The batch runs; progress and report can be followed through the handle. */
    public record Accepted(BatchHandle handle) implements StartReply
    {
    }

    /** The batch was refused before anything started. */
    public record Rejected(String reason) implements StartReply
    {
    }

    private record KernelPrepared(String batchId, PreparedKernel kernel, Throwable error) implements Command
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
    private final Map<String, BatchRun> batches = new HashMap<>();
    private long nextBatch;

    /** Limits and labels the supervisor applies. */
    public record Settings(int maxCount, int maxConcurrency, boolean lab, String environment)
    {
    }

    private Supervisor(final ActorContext<Command> context, final VmHost host, final KernelCache kernels, final Settings settings)
    {
        super(context);
        this.host = host;
        this.kernels = kernels;
        this.settings = settings;
        this.blocking = context.getSystem().dispatchers().lookup(DispatcherSelector.fromConfig("hatchery.vm-dispatcher"));
        this.vmReports = context.messageAdapter(VmActor.Report.class, FromVm::new);
    }

    public static Behavior<Command> create(final VmHost host, final KernelCache kernels, final Settings settings)
    {
        return Behaviors.<Command>supervise(Behaviors.setup(context -> new Supervisor(context, host, kernels, settings)))
            .onFailure(SupervisorStrategy.resume());
    }

    @Override
    public Receive<Command> createReceive()
    {
        return newReceiveBuilder()
            .onMessage(StartBatch.class, this::onStartBatch)
            .onMessage(CancelBatch.class, this::onCancelBatch)
            .onMessage(KernelPrepared.class, this::onKernelPrepared)
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
            request = start.request().validate(settings.maxCount(), settings.maxConcurrency());
            request.spec().hugePages().checkAvailable(request.spec().memBytes());
        }
        catch (final IllegalArgumentException | IllegalStateException ex)
        {
            start.replyTo().tell(new Rejected(ex.getMessage()));
            return this;
        }
        final String id = "b" + (++nextBatch);
        final BatchRun run = new BatchRun(id, request, new BatchRecorder(new BatchRecorder.Settings(request.kernelName(), request.count(),
            request.concurrency(), request.spec().memoryMode().name().toLowerCase(java.util.Locale.ROOT), settings.lab(), settings.environment())));
        batches.put(id, run);
        start.replyTo().tell(new Accepted(new BatchHandle(id, run::progress, run.report)));
        getContext().getLog().info("batch.started batch={} kernel={} count={} concurrency={} memory={}",
            id, request.kernelName(), request.count(), request.concurrency(), request.spec().memoryMode());
        // Preparing a kernel the first time reads, parses and lays it out: blocking work, off this actor.
        getContext().pipeToSelf(CompletableFuture.supplyAsync(() -> kernels.prepare(request.spec()), blocking),
            (kernel, error) -> new KernelPrepared(id, kernel, error));
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
            final Throwable cause = prepared.error() instanceof java.util.concurrent.CompletionException && prepared.error().getCause() != null
                ? prepared.error().getCause() : prepared.error();
            run.endUnlaunched(VmOutcome.failed("kernel could not be prepared: " + cause.getMessage()));
            finishIfComplete(run);
            return this;
        }
        run.kernel = prepared.kernel();
        launch(run);
        return this;
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
        if (message.report() instanceof VmActor.VmEnded ended)
        {
            final BatchRun run = batches.get(ended.batchId());
            if (run != null && run.running.containsKey(ended.result().vmId()))
            {
                run.ended(ended.result());
                launch(run);
                finishIfComplete(run);
            }
        }
        return this;
    }

    /** A VM actor that stopped without reporting its end (it cannot, normally) still counts, as failed. */
    private Behavior<Command> onVmActorStopped(final VmActorStopped stopped)
    {
        final BatchRun run = batches.get(stopped.batchId());
        if (run != null && run.running.containsKey(stopped.vmId()))
        {
            run.ended(new VmResult(stopped.vmId(), VmOutcome.failed("VM actor stopped without reporting an outcome"), new Timeline(), "", 0));
            launch(run);
            finishIfComplete(run);
        }
        return this;
    }

    private Behavior<Command> onCancelBatch(final CancelBatch cancel)
    {
        final BatchRun run = batches.get(cancel.batchId());
        if (run != null && !run.cancelled && !run.complete())
        {
            run.cancelled = true;
            run.running.values().forEach(vm -> vm.tell(VmActor.Stop.INSTANCE));
            run.endUnlaunched(VmOutcome.cancelled("cancelled before launch"));
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
        run.publish();
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
        }
        return this;
    }
}
