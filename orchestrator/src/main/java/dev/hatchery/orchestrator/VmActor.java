package dev.hatchery.orchestrator;

import akka.actor.typed.ActorRef;
import akka.actor.typed.Behavior;
import akka.actor.typed.PostStop;
import akka.actor.typed.javadsl.AbstractBehavior;
import akka.actor.typed.javadsl.ActorContext;
import akka.actor.typed.javadsl.Behaviors;
import akka.actor.typed.javadsl.Receive;

import dev.hatchery.config.VmSpec;
import dev.hatchery.kernel.PreparedKernel;
import dev.hatchery.vm.Timeline;
import dev.hatchery.vm.Vm;
import dev.hatchery.vm.VmHost;
import dev.hatchery.vm.VmOutcome;
import dev.hatchery.vm.VmResult;

/**
 * One actor per VM: it owns the {@link Vm} (KVM descriptors, vCPU thread, memory), turns the vCPU
 * thread's boot-complete and end into messages, and releases the VM in PostStop whatever happened.
 * It never blocks on KVM_RUN: the vCPU runs on its own thread.
 */
final class VmActor extends AbstractBehavior<VmActor.Command>
{
    /** What a VM actor accepts. */
    sealed interface Command
    {
    }

    /** Stop the VM (even while its vCPU is inside KVM_RUN); it then reports how it ended. */
    enum Stop implements Command
    {
        INSTANCE
    }

    private record Booted(long nanos) implements Command
    {
    }

    private record Ended(VmResult result) implements Command
    {
    }

    /** What a VM actor tells its parent. */
    interface Report
    {
    }

    /** The VM is built and its vCPU runs; {@code vm} stays owned by the actor (read-only use outside it). */
    record VmLaunched(String batchId, String vmId, Vm vm) implements Report
    {
    }

    /** The guest signalled boot-complete. */
    record VmBooted(String batchId, String vmId, long bootNanos) implements Report
    {
    }

    /**
     * The VM ended and everything it held is released. Sent exactly once per VM actor; {@code launched}
     * is false when it could not be built. {@code batchId} is null for a VM spawned on its own.
     */
    record VmEnded(String batchId, VmResult result, boolean launched) implements Report
    {
    }

    private final String batchId;
    private final ActorRef<Report> parent;
    private final boolean stopAtBootComplete;
    private final Vm vm;
    private boolean ended;

    private VmActor(final ActorContext<Command> context, final String batchId, final ActorRef<Report> parent,
        final boolean stopAtBootComplete, final Vm vm)
    {
        super(context);
        this.batchId = batchId;
        this.parent = parent;
        this.stopAtBootComplete = stopAtBootComplete;
        this.vm = vm;
        context.pipeToSelf(vm.bootComplete(), (nanos, error) -> new Booted(nanos == null ? 0 : nanos));
        context.pipeToSelf(vm.result(), (result, error) -> new Ended(result));
    }

    /**
     * Builds and starts the VM when the actor starts. A VM that cannot be built ends at once as failed,
     * with the reason, so the batch still accounts for it.
     */
    static Behavior<Command> create(final String batchId, final String vmId, final VmHost host, final PreparedKernel kernel,
        final VmSpec spec, final boolean stopAtBootComplete, final Timeline timeline, final ActorRef<Report> parent)
    {
        return Behaviors.setup(context ->
        {
            final Vm vm;
            try
            {
                vm = host.launch(vmId, kernel, spec, timeline);
            }
            catch (final RuntimeException ex)
            {
                parent.tell(new VmEnded(batchId, new VmResult(vmId, VmOutcome.failed("VM could not be built: " + ex.getMessage()),
                    timeline, "", 0), false));
                return Behaviors.stopped();
            }
            parent.tell(new VmLaunched(batchId, vmId, vm));
            return new VmActor(context, batchId, parent, stopAtBootComplete, vm);
        });
    }

    @Override
    public Receive<Command> createReceive()
    {
        return newReceiveBuilder()
            .onMessage(Booted.class, this::onBooted)
            .onMessage(Ended.class, this::onEnded)
            .onMessageEquals(Stop.INSTANCE, this::onStop)
            .onSignal(PostStop.class, signal -> onPostStop())
            .build();
    }

    private Behavior<Command> onBooted(final Booted booted)
    {
        if (booted.nanos() != 0)
        {
            parent.tell(new VmBooted(batchId, vm.id(), booted.nanos()));
            if (stopAtBootComplete)
            {
                vm.stop();
            }
        }
        return this;
    }

    private Behavior<Command> onEnded(final Ended ended)
    {
        this.ended = true;
        parent.tell(new VmEnded(batchId, ended.result(), true));
        return Behaviors.stopped();
    }

    private Behavior<Command> onStop()
    {
        vm.stop();
        return this;
    }

    /** Whatever stopped this actor, the VM is stopped and released here; its end is reported if it was not yet. */
    private Behavior<Command> onPostStop()
    {
        vm.close();
        if (!ended)
        {
            parent.tell(new VmEnded(batchId, vm.result().join(), true));
        }
        return this;
    }
}
