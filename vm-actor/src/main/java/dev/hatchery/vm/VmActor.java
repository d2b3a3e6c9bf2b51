package dev.hatchery.vm;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

import akka.actor.typed.ActorRef;
import akka.actor.typed.Behavior;
import akka.actor.typed.PostStop;
import akka.actor.typed.javadsl.AbstractBehavior;
import akka.actor.typed.javadsl.ActorContext;
import akka.actor.typed.javadsl.Behaviors;
import akka.actor.typed.javadsl.Receive;
import akka.actor.typed.javadsl.TimerScheduler;

import dev.hatchery.config.VmSpec;
import dev.hatchery.kernel.PreparedKernel;

/**
 * One actor per VM, the only holder of its {@link Vm} (KVM descriptors, vCPU thread, memory). It builds
 * the VM when it starts, turns the vCPU thread's boot-complete and end into messages, and answers
 * everyone else with immutable {@link VmSnapshot}s. It never blocks its dispatcher: the vCPU runs on
 * its own thread, releases the VM itself when it returns, and a stop is waited for with a bound
 * ({@link Settings#stopTimeout()}), after which the VM is reported {@link VmFailure.Stuck}.
 */
public final class VmActor extends AbstractBehavior<VmActor.Command>
{
    /** What a VM actor accepts. */
    public sealed interface Command
    {
    }

    /** Stop the VM (even while its vCPU is inside KVM_RUN); it then reports how it ended. */
    public record Stop() implements Command
    {
    }

    /** Asks for the VM's current snapshot (state, timeline, console tail, address). */
    public record Inspect(ActorRef<VmSnapshot> replyTo) implements Command
    {
    }

    private record Booted(long nanos) implements Command
    {
    }

    private record Ended(VmResult result) implements Command
    {
    }

    /** The stop bound passed and the vCPU has not returned. */
    private record StopOverdue() implements Command
    {
    }

    /** What a VM actor tells its parent; {@code batchId} is null for a VM spawned on its own. */
    public sealed interface Report
    {
        String batchId();

        String vmId();
    }

    /** The VM is built and its vCPU runs. */
    public record VmLaunched(String batchId, VmSnapshot snapshot) implements Report
    {
        @Override
        public String vmId()
        {
            return snapshot.vmId();
        }
    }

    /** The guest signalled boot-complete; the snapshot's timeline holds the moment. */
    public record VmBooted(String batchId, VmSnapshot snapshot) implements Report
    {
        @Override
        public String vmId()
        {
            return snapshot.vmId();
        }
    }

    /**
     * The VM ended. Sent exactly once per VM actor; {@code launched} is false when it could not be built (then it held
     * nothing). What a launched VM held is released after this, off the spawn path (a teardown thread; after
     * {@link VmFailure.Stuck}, when its vCPU thread finally returns), and {@link VmReleased} follows.
     */
    public record VmEnded(String batchId, VmResult result, boolean launched) implements Report
    {
        @Override
        public String vmId()
        {
            return result.vmId();
        }
    }

    /**
     * Everything a launched VM held (guest memory, KVM fds, tap) is released: sent once after its {@link VmEnded}, never
     * for a VM whose vCPU never returns. Memory accounting ends here, not at the end, which comes first.
     */
    public record VmReleased(String batchId, String vmId) implements Report
    {
    }

    /**
     * What one VM actor runs.
     *
     * @param batchId            the batch it belongs to, or null for a VM spawned on its own
     * @param stopAtBootComplete stop the VM as soon as the guest signals boot-complete (batches)
     * @param stopTimeout        how long a stopped VM's vCPU may take to return before the VM is reported stuck
     * @param timeline           started when the request arrived: the origin of every phase
     * @param cloneTemplate      what the VM is cloned from when its spec says spawn=clone (held by the caller), else null
     * @param call               the one invocation a function's VM serves (its spec has a mailbox): a clone, or a cold VM
     *                           booted from the function's template spec; else null
     */
    public record Settings(String batchId, String vmId, PreparedKernel kernel, VmSpec spec, boolean stopAtBootComplete,
                           Duration stopTimeout, Timeline timeline, CloneTemplate cloneTemplate, FunctionCall call)
    {
        public Settings(final String batchId, final String vmId, final PreparedKernel kernel, final VmSpec spec,
            final boolean stopAtBootComplete, final Duration stopTimeout, final Timeline timeline, final CloneTemplate cloneTemplate)
        {
            this(batchId, vmId, kernel, spec, stopAtBootComplete, stopTimeout, timeline, cloneTemplate, null);
        }

        public Settings
        {
            Objects.requireNonNull(vmId, "vmId");
            Objects.requireNonNull(kernel, "kernel");
            Objects.requireNonNull(spec, "spec");
            Objects.requireNonNull(timeline, "timeline");
            if (call != null && (spec.mailbox() == null || stopAtBootComplete))
            {
                throw new IllegalArgumentException("a function call goes to a VM whose spec has a mailbox, run to its reply: vm=" + vmId
                    + " mailbox=" + (spec.mailbox() != null) + " stopAtBootComplete=" + stopAtBootComplete);
            }
            if ((spec.spawn() == dev.hatchery.config.SpawnMode.CLONE) != (cloneTemplate != null))
            {
                throw new IllegalArgumentException("a clone template goes with spawn=clone, and only with it: vm=" + vmId + " spawn="
                    + spec.spawn() + " template=" + (cloneTemplate != null));
            }
            if (stopTimeout.isNegative() || stopTimeout.isZero())
            {
                throw new IllegalArgumentException("stop timeout must be positive: vm=" + vmId + " stopTimeout=" + stopTimeout);
            }
        }
    }

    private final String batchId;
    private final ActorRef<Report> parent;
    private final boolean stopAtBootComplete;
    private final Duration stopTimeout;
    private final TimerScheduler<Command> timers;
    private final VmControl vm;
    private boolean stopRequested;
    private boolean ended;

    private VmActor(final ActorContext<Command> context, final TimerScheduler<Command> timers, final String batchId,
        final ActorRef<Report> parent, final boolean stopAtBootComplete, final Duration stopTimeout, final VmControl vm)
    {
        super(context);
        this.timers = timers;
        this.batchId = batchId;
        this.parent = parent;
        this.stopAtBootComplete = stopAtBootComplete;
        this.stopTimeout = stopTimeout;
        this.vm = vm;
        context.pipeToSelf(vm.bootComplete(), (nanos, error) -> new Booted(nanos == null ? 0 : nanos));
        context.pipeToSelf(vm.result(), (result, error) -> new Ended(result));
    }

    /**
     * Builds and starts the VM on {@code host} when the actor starts. A VM that cannot be built ends at once
     * as failed ({@link VmFailure.KvmSetup}), so its batch still accounts for it.
     */
    public static Behavior<Command> create(final VmHost host, final Settings settings, final ActorRef<Report> parent)
    {
        return create(settings.batchId(), settings.vmId(), settings.stopAtBootComplete(), settings.stopTimeout(), settings.timeline(),
            () -> settings.cloneTemplate() != null
                ? host.launchClone(settings.vmId(), settings.cloneTemplate(), settings.spec(), settings.timeline(), settings.call())
                : host.launch(settings.vmId(), settings.kernel(), settings.spec(), settings.timeline(), settings.call()), parent);
    }

    /** With any way to launch the VM: {@link Vm} in production, a scripted one in unit tests. */
    static Behavior<Command> create(final String batchId, final String vmId, final boolean stopAtBootComplete, final Duration stopTimeout,
        final Timeline timeline, final Supplier<VmControl> launcher, final ActorRef<Report> parent)
    {
        return Behaviors.setup(context ->
        {
            final VmControl vm;
            try
            {
                vm = launcher.get();
            }
            catch (final RuntimeException | Error ex)
            {
                // An Error too: the batch waits for every VM's end, so this one must be reported whatever was thrown.
                final VmFailure failure = ex instanceof RuntimeException runtime ? VmFailure.KvmSetup.of(runtime)
                    : new VmFailure.HostError("building the VM threw " + ex.getClass().getName(), String.valueOf(ex.getMessage()));
                context.getLog().info("vm.build_failed vm={} failure={} detail=\"{}\"", vmId, failure.code(), failure.detail());
                parent.tell(new VmEnded(batchId, new VmResult(vmId, VmOutcome.of(failure), timeline.copy(), "", 0), false));
                if (ex instanceof VirtualMachineError fatal)
                {
                    // Out of memory or stack: reported, then left to the JVM's policy (Akka exits on fatal errors).
                    throw fatal;
                }
                return Behaviors.stopped();
            }
            return Behaviors.withTimers(timers ->
            {
                final VmActor running = new VmActor(context, timers, batchId, parent, stopAtBootComplete, stopTimeout, vm);
                parent.tell(new VmLaunched(batchId, running.snapshot()));
                return running;
            });
        });
    }

    @Override
    public Receive<Command> createReceive()
    {
        return newReceiveBuilder()
            .onMessage(Booted.class, this::onBooted)
            .onMessage(Ended.class, this::onEnded)
            .onMessage(Stop.class, stop -> onStop())
            .onMessage(Inspect.class, this::onInspect)
            .onMessage(StopOverdue.class, overdue -> onStopOverdue())
            .onSignal(PostStop.class, signal -> onPostStop())
            .build();
    }

    private Behavior<Command> onBooted(final Booted booted)
    {
        if (booted.nanos() != 0)
        {
            parent.tell(new VmBooted(batchId, snapshot()));
            if (stopAtBootComplete)
            {
                requestStop();
            }
        }
        return this;
    }

    private Behavior<Command> onEnded(final Ended ended)
    {
        report(ended.result());
        return Behaviors.stopped();
    }

    private Behavior<Command> onStop()
    {
        requestStop();
        return this;
    }

    private Behavior<Command> onInspect(final Inspect inspect)
    {
        inspect.replyTo().tell(snapshot());
        return this;
    }

    /** The vCPU has not returned within the bound: report the VM stuck; its thread releases it when it returns. */
    private Behavior<Command> onStopOverdue()
    {
        getContext().getLog().warn("vm.stuck vm={} waited_ms={}", vm.id(), stopTimeout.toMillis());
        report(stuckResult());
        return Behaviors.stopped();
    }

    /**
     * Whatever stopped this actor (its parent, the actor system shutting down), the VM is asked to stop and
     * its end is reported once it comes, or as stuck after the bound: never by blocking here.
     */
    private Behavior<Command> onPostStop()
    {
        if (!ended)
        {
            ended = true;
            vm.stop();
            final VmResult stuck = stuckResult();
            vm.result().toCompletableFuture()
                .completeOnTimeout(stuck, stopTimeout.toMillis(), TimeUnit.MILLISECONDS)
                .thenAccept(result ->
                {
                    parent.tell(new VmEnded(batchId, result, true));
                    final String vmId = vm.id();
                    vm.released().thenRun(() -> parent.tell(new VmReleased(batchId, vmId)));
                });
        }
        return this;
    }

    private void requestStop()
    {
        vm.stop();
        if (!stopRequested)
        {
            stopRequested = true;
            timers.startSingleTimer(new StopOverdue(), stopTimeout);
        }
    }

    private void report(final VmResult result)
    {
        if (!ended)
        {
            ended = true;
            timers.cancelAll();
            parent.tell(new VmEnded(batchId, result, true));
            // Told after VmEnded has been told (registered only now), so the parent always sees the end first.
            final String vmId = vm.id();
            vm.released().thenRun(() -> parent.tell(new VmReleased(batchId, vmId)));
        }
    }

    private VmResult stuckResult()
    {
        return new VmResult(vm.id(), VmOutcome.of(new VmFailure.Stuck(stopTimeout.toMillis())), vm.timeline().copy(), vm.console(), 0,
            vm.spawnPath());
    }

    private VmSnapshot snapshot()
    {
        final VmState state = vm.timeline().reached(Phase.BOOT_COMPLETE) ? VmState.BOOTED : VmState.RUNNING;
        return new VmSnapshot(vm.id(), state, vm.address(), vm.timeline().copy(), vm.console(), null);
    }
}
