package dev.hatchery.vm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicInteger;

import akka.actor.testkit.typed.javadsl.ActorTestKit;
import akka.actor.testkit.typed.javadsl.TestProbe;
import akka.actor.typed.ActorRef;
import akka.actor.typed.DispatcherSelector;

import com.typesafe.config.ConfigFactory;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * The VM actor against scripted VMs: what it reports, and that a vCPU that does not come back never holds
 * an actor dispatcher thread. The dispatcher here has ONE thread, so a VM actor that blocked on its VM
 * would keep every other actor on it from running.
 */
class VmActorTest
{
    private static final String ONE_THREAD = "one-thread-dispatcher";
    private static final ActorTestKit KIT = ActorTestKit.create(ConfigFactory.parseString(ONE_THREAD + """
         {
          type = Dispatcher
          executor = "thread-pool-executor"
          thread-pool-executor.fixed-pool-size = 1
          throughput = 1
        }
        """).withFallback(ConfigFactory.load()));
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(2);

    @AfterAll
    static void shutDown()
    {
        KIT.shutdownTestKit();
    }

    /** A VM whose "vCPU" the test drives: it boots and ends when told to, and ignores stops unless it honours them. */
    static final class ScriptedVm implements VmControl
    {
        final String id;
        final boolean honoursStop;
        final Timeline timeline = Timeline.startingNow();
        final CompletableFuture<Long> bootComplete = new CompletableFuture<>();
        final CompletableFuture<VmResult> result = new CompletableFuture<>();
        final CompletableFuture<Void> released = new CompletableFuture<>();
        final AtomicInteger stops = new AtomicInteger();

        ScriptedVm(final String id, final boolean honoursStop)
        {
            this.id = id;
            this.honoursStop = honoursStop;
        }

        @Override
        public String id()
        {
            return id;
        }

        @Override
        public CompletionStage<Long> bootComplete()
        {
            return bootComplete;
        }

        @Override
        public CompletionStage<VmResult> result()
        {
            return result;
        }

        @Override
        public CompletionStage<Void> released()
        {
            return released;
        }

        @Override
        public SpawnPath spawnPath()
        {
            return SpawnPath.DIRECT;
        }

        @Override
        public void stop()
        {
            stops.incrementAndGet();
            if (honoursStop)
            {
                vcpuReturns(bootComplete.isDone() ? VmOutcome.booted("stopped by request")
                    : VmOutcome.of(new VmFailure.Cancelled("stopped by request before boot-complete")));
            }
        }

        @Override
        public Timeline timeline()
        {
            return timeline;
        }

        @Override
        public String console()
        {
            return "console of " + id;
        }

        @Override
        public VmAddress address()
        {
            return null;
        }

        void boot()
        {
            final long now = System.nanoTime();
            timeline.mark(Phase.BOOT_COMPLETE, now);
            bootComplete.complete(now);
        }

        void vcpuReturns(final VmOutcome outcome)
        {
            timeline.mark(Phase.STOPPED);
            result.complete(new VmResult(id, outcome, timeline, console(), 1));
            released.complete(null);
        }
    }

    private static ActorRef<VmActor.Command> spawn(final ScriptedVm vm, final boolean stopAtBootComplete, final TestProbe<VmActor.Report> parent)
    {
        return KIT.spawn(VmActor.create("b1", vm.id, stopAtBootComplete, STOP_TIMEOUT, vm.timeline, () -> vm, parent.getRef()), vm.id,
            DispatcherSelector.fromConfig(ONE_THREAD));
    }

    @Test
    void shouldReportLaunchedBootedAndEndedWhenTheGuestBootsAndTheVmStopsAtBootComplete()
    {
        final TestProbe<VmActor.Report> parent = KIT.createTestProbe();
        final ScriptedVm vm = new ScriptedVm("vm-boots", true);
        spawn(vm, true, parent);

        final VmActor.VmLaunched launched = parent.expectMessageClass(VmActor.VmLaunched.class);
        assertEquals(VmState.RUNNING, launched.snapshot().state());
        vm.boot();
        final VmActor.VmBooted booted = parent.expectMessageClass(VmActor.VmBooted.class);
        assertEquals(VmState.BOOTED, booted.snapshot().state());
        assertTrue(booted.snapshot().timeline().reached(Phase.BOOT_COMPLETE));
        final VmActor.VmEnded ended = parent.expectMessageClass(VmActor.VmEnded.class);

        assertEquals(VmOutcome.booted("stopped by request"), ended.result().outcome());
        assertTrue(ended.launched());
        assertEquals("b1", ended.batchId());
        assertEquals(1, vm.stops.get());
    }

    @Test
    void shouldAnswerInspectWithASnapshotThatLaterMarksDoNotChange()
    {
        final TestProbe<VmActor.Report> parent = KIT.createTestProbe();
        final TestProbe<VmSnapshot> inspector = KIT.createTestProbe();
        final ScriptedVm vm = new ScriptedVm("vm-inspect", true);
        final ActorRef<VmActor.Command> actor = spawn(vm, false, parent);
        parent.expectMessageClass(VmActor.VmLaunched.class);

        actor.tell(new VmActor.Inspect(inspector.getRef()));
        final VmSnapshot snapshot = inspector.receiveMessage();
        vm.boot();

        assertEquals("vm-inspect", snapshot.vmId());
        assertEquals(VmState.RUNNING, snapshot.state());
        assertEquals("console of vm-inspect", snapshot.console());
        assertNull(snapshot.outcome());
        assertFalse(snapshot.timeline().reached(Phase.BOOT_COMPLETE), "the snapshot is a copy, not the live timeline");
        actor.tell(new VmActor.Stop());
        parent.expectMessageClass(VmActor.VmBooted.class);
        assertEquals(VmOutcome.Kind.BOOTED, parent.expectMessageClass(VmActor.VmEnded.class).result().outcome().kind());
    }

    @Test
    void shouldReportAVcpuThatDoesNotReturnAsStuckWithoutHoldingTheDispatcher()
    {
        final TestProbe<VmActor.Report> parent = KIT.createTestProbe();
        final ScriptedVm stuck = new ScriptedVm("vm-stuck", false);
        final ActorRef<VmActor.Command> actor = spawn(stuck, false, parent);
        parent.expectMessageClass(VmActor.VmLaunched.class);

        actor.tell(new VmActor.Stop());
        // While the stuck VM's stop is pending, another VM actor on the same one-thread dispatcher still runs.
        final TestProbe<VmActor.Report> otherParent = KIT.createTestProbe();
        final TestProbe<VmSnapshot> inspector = KIT.createTestProbe();
        final ScriptedVm other = new ScriptedVm("vm-other", true);
        final ActorRef<VmActor.Command> otherActor = spawn(other, false, otherParent);
        otherParent.expectMessageClass(VmActor.VmLaunched.class, Duration.ofMillis(1000));
        otherActor.tell(new VmActor.Inspect(inspector.getRef()));
        assertEquals("vm-other", inspector.receiveMessage(Duration.ofMillis(1000)).vmId());
        parent.expectNoMessage(Duration.ofMillis(500));

        final VmActor.VmEnded ended = parent.expectMessageClass(VmActor.VmEnded.class, STOP_TIMEOUT.multipliedBy(3));
        final VmFailure.Stuck failure = assertInstanceOf(VmFailure.Stuck.class, ended.result().outcome().failure());
        assertEquals(STOP_TIMEOUT.toMillis(), failure.waitedMillis());
        assertEquals(VmFailure.Stage.HOST, failure.stage());
        parent.expectTerminated(actor);

        // The vCPU finally returns: its end is not reported twice, but that what it held is released now is.
        stuck.vcpuReturns(VmOutcome.of(new VmFailure.Cancelled("stopped by request before boot-complete")));
        assertEquals(new VmActor.VmReleased("b1", "vm-stuck"), parent.expectMessageClass(VmActor.VmReleased.class));
        parent.expectNoMessage(Duration.ofMillis(300));
        otherActor.tell(new VmActor.Stop());
        otherParent.expectMessageClass(VmActor.VmEnded.class);
    }

    @Test
    void shouldReportTheEndOfAVmWhoseActorIsStoppedWithoutBlockingItsDispatcher()
    {
        final TestProbe<VmActor.Report> parent = KIT.createTestProbe();
        final ScriptedVm stuck = new ScriptedVm("vm-post-stop", false);
        final ActorRef<VmActor.Command> actor = spawn(stuck, false, parent);
        parent.expectMessageClass(VmActor.VmLaunched.class);

        KIT.stop(actor, Duration.ofSeconds(1));
        final TestProbe<VmActor.Report> otherParent = KIT.createTestProbe();
        spawn(new ScriptedVm("vm-after-stop", true), true, otherParent);
        otherParent.expectMessageClass(VmActor.VmLaunched.class, Duration.ofMillis(1000));

        assertEquals(1, stuck.stops.get());
        final VmActor.VmEnded ended = parent.expectMessageClass(VmActor.VmEnded.class, STOP_TIMEOUT.multipliedBy(3));
        assertInstanceOf(VmFailure.Stuck.class, ended.result().outcome().failure());
    }

    @Test
    void shouldEndAVmThatCannotBeBuiltAsAKvmSetupFailureWithoutLaunchingIt()
    {
        final TestProbe<VmActor.Report> parent = KIT.createTestProbe();
        KIT.spawn(VmActor.create(null, "vm-unbuildable", false, STOP_TIMEOUT, Timeline.startingNow(), () ->
        {
            throw new dev.hatchery.kvm.KvmException("KVM_CREATE_VM", "", 24);
        }, parent.getRef()));

        final VmActor.VmEnded ended = parent.expectMessageClass(VmActor.VmEnded.class);

        assertFalse(ended.launched());
        final VmFailure.KvmSetup failure = assertInstanceOf(VmFailure.KvmSetup.class, ended.result().outcome().failure());
        assertEquals("KVM_CREATE_VM", failure.step());
        assertEquals("EMFILE", failure.error());
        assertEquals("VM could not be built: KVM_CREATE_VM failed with EMFILE", failure.summary());
        assertEquals(VmFailure.Stage.BUILD, failure.stage());
    }

    @Test
    void shouldEndAVmWhoseBuildThrowsAnErrorAsAHostErrorSoThatItsBatchStillHearsOfIt()
    {
        final TestProbe<VmActor.Report> parent = KIT.createTestProbe();
        KIT.spawn(VmActor.create(null, "vm-linkage", false, STOP_TIMEOUT, Timeline.startingNow(), () ->
        {
            throw new NoClassDefFoundError("com/sun/jna/Native");
        }, parent.getRef()));

        final VmActor.VmEnded ended = parent.expectMessageClass(VmActor.VmEnded.class);

        assertFalse(ended.launched());
        final VmFailure.HostError failure = assertInstanceOf(VmFailure.HostError.class, ended.result().outcome().failure());
        assertEquals("building the VM threw java.lang.NoClassDefFoundError", failure.summary());
        assertEquals("com/sun/jna/Native", failure.detail());
    }
}
