package dev.hatchery.orchestrator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
    private ActorRef<Supervisor.Command> supervisor;

    @BeforeEach
    void startSupervisor()
    {
        kernels = new KernelCache();
        supervisor = TEST_KIT.spawn(Supervisor.create(null, kernels, new Supervisor.Settings(1000, 64, false, "unit test")));
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

        assertEquals(new Supervisor.Rejected("invalid count: count=1001: must be between 1 and 1000"), probe.receiveMessage());
    }

    @Test
    void shouldRefuseZeroConcurrency()
    {
        final TestProbe<Supervisor.StartReply> probe = TEST_KIT.createTestProbe();

        supervisor.tell(new Supervisor.StartBatch(request(10, 0), probe.getRef()));

        assertEquals(new Supervisor.Rejected("invalid concurrency: concurrency=0: must be between 1 and 64"), probe.receiveMessage());
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
        assertEquals(Map.of("kernel could not be prepared: cannot read kernel image: path=/nonexistent/vmlinux reason=no such file;"
            + " pass the path of an uncompressed vmlinux", 7), report.failuresByReason());
        assertTrue(accepted.handle().progress().get().done());
        assertEquals(7, accepted.handle().progress().get().ended());
    }
}
