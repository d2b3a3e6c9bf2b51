package dev.hatchery.orchestrator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import akka.actor.testkit.typed.javadsl.ActorTestKit;
import akka.actor.testkit.typed.javadsl.TestProbe;
import akka.actor.typed.ActorRef;

import dev.hatchery.config.VmSpec;
import dev.hatchery.kernel.KernelCache;
import dev.hatchery.orchestrator.report.BatchReport;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The supervisor's accounting, without KVM: batches that are refused, or whose kernel cannot be prepared,
 * never reach a VM, so no VM host is needed (null stands in for it).
 */
class SupervisorTest
{
    private static final ActorTestKit TEST_KIT = ActorTestKit.create(com.typesafe.config.ConfigFactory.load());

    private KernelCache kernels;
    private ServiceMetrics metrics;
    private ActorRef<Supervisor.Command> supervisor;

    @BeforeEach
    void startSupervisor()
    {
        kernels = new KernelCache();
        metrics = new ServiceMetrics();
        // One VM slot in flight, so a single VM that was not released would block the next one.
        supervisor = TEST_KIT.spawn(Supervisor.create(null, kernels,
            new Supervisor.Settings(new Limits(1000, 64, 64, 2048, 64L * 2048, 2), MemoryBudget.UNLIMITED, false, "unit test", java.time.Duration.ofSeconds(5)), metrics));
    }

    @AfterEach
    void stopSupervisor()
    {
        TEST_KIT.stop(supervisor);
        kernels.close();
    }

    @AfterAll
    static void shutdown()
    {
        TEST_KIT.shutdownTestKit();
    }

    private static BatchRequest request(final int count, final int concurrency)
    {
        return new BatchRequest("missing", VmSpec.builder().kernel(Path.of("/nonexistent/vmlinux")).conclude(), count, concurrency, true);
    }

    @Test
    void shouldRefuseACountAboveTheLimitNamingFieldValueAndRange()
    {
        final TestProbe<Supervisor.StartReply> probe = TEST_KIT.createTestProbe();

        supervisor.tell(new Supervisor.StartBatch(request(1001, 1), probe.getRef()));

        assertEquals(new Supervisor.Rejected(Refusal.invalid("count", "invalid count: count=1001: must be between 1 and 1000")),
            probe.receiveMessage());
    }

    @Test
    void shouldRefuseZeroConcurrency()
    {
        final TestProbe<Supervisor.StartReply> probe = TEST_KIT.createTestProbe();

        supervisor.tell(new Supervisor.StartBatch(request(10, 0), probe.getRef()));

        assertEquals(new Supervisor.Rejected(Refusal.invalid("concurrency", "invalid concurrency: concurrency=0: must be between 1 and 64")),
            probe.receiveMessage());
    }

    @Test
    void shouldAccountForEveryVmAsFailedWithTheReasonWhenTheKernelCannotBePrepared() throws Exception
    {
        final TestProbe<Supervisor.StartReply> probe = TEST_KIT.createTestProbe();

        supervisor.tell(new Supervisor.StartBatch(request(7, 3), probe.getRef()));
        final Supervisor.Accepted accepted = (Supervisor.Accepted)probe.receiveMessage();
        final BatchReport report = accepted.handle().report().toCompletableFuture().get(10, TimeUnit.SECONDS);

        assertEquals(7, report.count());
        assertEquals(0, report.booted());
        assertEquals(7, report.failed());
        assertEquals(1, report.failures().size(), () -> "one group for the whole batch: " + report.failures());
        assertEquals("kernel_image", report.failures().get(0).code());
        assertEquals(7, report.failures().get(0).count());
        assertEquals("kernel could not be prepared: cannot read kernel image: path=/nonexistent/vmlinux reason=no such file;"
            + " pass the path of an uncompressed vmlinux", report.failures().get(0).summary());
        assertTrue(accepted.handle().progress().get().done());
        assertEquals(7, accepted.handle().progress().get().ended());
        assertEquals(7, metrics.failures(dev.hatchery.vm.VmFailure.Stage.PREPARATION));
        assertEquals(0, metrics.spawned());
    }

    @Test
    void shouldCountEveryVmOnceWhenABatchIsCancelledBeforeItsKernelIsPrepared() throws Exception
    {
        final TestProbe<Supervisor.StartReply> probe = TEST_KIT.createTestProbe();
        final Path kernel = Files.write(Files.createTempDirectory("cancel-early").resolve("flat.elf"),
            dev.hatchery.kernel.MinimalElf.of(dev.hatchery.kernel.MinimalElf.LOAD_ADDRESS, dev.hatchery.kernel.MinimalElf.IDLE_FOREVER));

        // Both messages are in the mailbox before the supervisor reads the first: the cancel comes before the kernel is.
        supervisor.tell(new Supervisor.StartBatch(new BatchRequest("flat", VmSpec.builder().kernel(kernel).conclude(), 7, 3, true), probe.getRef()));
        supervisor.tell(new Supervisor.CancelBatch("b1"));
        final BatchHandle handle = ((Supervisor.Accepted)probe.receiveMessage()).handle();
        final BatchReport report = handle.report().toCompletableFuture().get(10, TimeUnit.SECONDS);

        assertEquals("b1", handle.id());
        assertEquals(7, report.count());
        assertEquals(7, report.cancelled(), report::toString);
        assertEquals(7, handle.events().snapshot().size());
        assertEquals(0, metrics.spawned());
    }

    @Test
    void shouldCountEveryVmOnceWhenABatchIsCancelledBeforeItsKernelFailsToPrepare() throws Exception
    {
        final TestProbe<Supervisor.StartReply> probe = TEST_KIT.createTestProbe();

        supervisor.tell(new Supervisor.StartBatch(request(7, 3), probe.getRef()));
        supervisor.tell(new Supervisor.CancelBatch("b1"));
        final BatchReport report = ((Supervisor.Accepted)probe.receiveMessage()).handle().report().toCompletableFuture().get(10, TimeUnit.SECONDS);

        // The preparation's failure is what ended them: each VM once, in one group.
        assertEquals(7, report.count());
        assertEquals(7, report.failed(), report::toString);
        assertEquals("kernel_image", report.failures().get(0).code());
    }

    @Test
    void shouldPublishOneEventPerVmInOrderAndEndTheFeedWhenTheBatchFinishes() throws Exception
    {
        final TestProbe<Supervisor.StartReply> probe = TEST_KIT.createTestProbe();

        supervisor.tell(new Supervisor.StartBatch(request(4, 2), probe.getRef()));
        final BatchHandle handle = ((Supervisor.Accepted)probe.receiveMessage()).handle();
        handle.report().toCompletableFuture().get(10, TimeUnit.SECONDS);

        assertTrue(handle.events().ended());
        assertEquals(java.util.List.of(1L, 2L, 3L, 4L), handle.events().snapshot().stream().map(VmEvent::sequence).toList());
        assertEquals(java.util.List.of("b1-vm-0", "b1-vm-1", "b1-vm-2", "b1-vm-3"),
            handle.events().snapshot().stream().map(VmEvent::vmId).toList());
        assertTrue(handle.events().snapshot().stream().allMatch(event -> event.outcome().equals("failed") && "kernel_image".equals(event.failure())
            && event.bootMicros() == -1));
    }

    @Test
    void shouldEndASingleVmWhoseKernelCannotBePreparedAsFailedAndReleaseItsSlot() throws Exception
    {
        final TestProbe<Supervisor.SpawnReply> probe = TEST_KIT.createTestProbe();
        final SpawnRequest request = new SpawnRequest("missing", VmSpec.builder().kernel(Path.of("/nonexistent/vmlinux")).conclude());

        for (int i = 1; i <= 3; i++)
        {
            supervisor.tell(new Supervisor.SpawnVm(request, probe.getRef()));
            final RunningVm vm = ((Supervisor.VmAccepted)probe.receiveMessage()).vm();
            vm.ended().toCompletableFuture().get(10, TimeUnit.SECONDS);

            assertEquals("vm-" + i, vm.id());
            assertEquals(dev.hatchery.vm.VmState.ENDED, vm.state());
            assertEquals(dev.hatchery.vm.VmOutcome.Kind.FAILED, vm.outcome().orElseThrow().kind());
            assertTrue(vm.outcome().orElseThrow().reason().startsWith("kernel could not be prepared: cannot read kernel image"));
            final java.util.concurrent.ExecutionException notRunning = org.junit.jupiter.api.Assertions.assertThrows(
                java.util.concurrent.ExecutionException.class, () -> vm.running().toCompletableFuture().get(1, TimeUnit.SECONDS));
            assertTrue(notRunning.getCause() instanceof VmEndedException);
        }
        assertEquals(3, metrics.failures(dev.hatchery.vm.VmFailure.Stage.PREPARATION));
    }

    @Test
    void shouldRefuseASingleVmAboveTheMemoryLimitNamingTheField()
    {
        final TestProbe<Supervisor.SpawnReply> probe = TEST_KIT.createTestProbe();
        final SpawnRequest request = new SpawnRequest("missing", VmSpec.builder().kernel(Path.of("/nonexistent/vmlinux")).memMib(3000)
            .conclude());

        supervisor.tell(new Supervisor.SpawnVm(request, probe.getRef()));

        final Refusal refusal = ((Supervisor.Rejected)probe.receiveMessage()).refusal();
        assertEquals(Refusal.Kind.INVALID, refusal.kind());
        assertEquals("memMib", refusal.field());
        assertEquals("memMib=3000 is above this service's limit: max-mem-mib-per-vm=2048", refusal.message());
    }
}
