package dev.hatchery.orchestrator.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

import akka.actor.testkit.typed.javadsl.ActorTestKit;
import akka.actor.testkit.typed.javadsl.TestProbe;
import akka.actor.typed.ActorRef;

import dev.hatchery.config.VmSpec;
import dev.hatchery.orchestrator.BatchHandle;
import dev.hatchery.orchestrator.BatchRequest;
import dev.hatchery.orchestrator.Refusal;
import dev.hatchery.orchestrator.VmEvent;
import dev.hatchery.orchestrator.cluster.ClusterProtocol.CancelPart;
import dev.hatchery.orchestrator.cluster.ClusterProtocol.PartDone;
import dev.hatchery.orchestrator.cluster.ClusterProtocol.PartRefused;
import dev.hatchery.orchestrator.cluster.ClusterProtocol.PartStarted;
import dev.hatchery.orchestrator.cluster.ClusterProtocol.PartVmEnded;
import dev.hatchery.orchestrator.cluster.ClusterProtocol.RunPart;
import dev.hatchery.orchestrator.cluster.ClusterProtocol.ToNode;
import dev.hatchery.orchestrator.report.BatchReport;
import dev.hatchery.orchestrator.report.NodeFigures;

/** The split's accounting with the ActorTestKit: each node's agent is a probe that answers as a node would (or dies). */
class ClusterBatchTest
{
    private static final ActorTestKit TEST_KIT = ActorTestKit.create();
    private static final AtomicLong IDS = new AtomicLong();

    @AfterAll
    static void stop()
    {
        TEST_KIT.shutdownTestKit();
    }

    private record Started(List<TestProbe<ToNode>> agents, List<RunPart> parts, CompletableFuture<ClusterBatch.Outcome> outcome,
        ActorRef<ClusterBatch.Command> coordinator)
    {
    }

    private static Started start(final int count, final int... vmsPerNode)
    {
        final List<TestProbe<ToNode>> agents = new java.util.ArrayList<>();
        final List<ClusterBatch.Assignment> assignments = new java.util.ArrayList<>();
        for (int i = 0; i < vmsPerNode.length; i++)
        {
            final TestProbe<ToNode> agent = TEST_KIT.createTestProbe();
            agents.add(agent);
            assignments.add(new ClusterBatch.Assignment("n" + i, agent.ref(), vmsPerNode[i], 2));
        }
        final CompletableFuture<ClusterBatch.Outcome> outcome = new CompletableFuture<>();
        final ActorRef<ClusterBatch.Command> coordinator = TEST_KIT.spawn(ClusterBatch.create("c" + IDS.incrementAndGet(), request(count),
            assignments, outcome, "test cluster"));
        final List<RunPart> parts = agents.stream().map(agent -> agent.expectMessageClass(RunPart.class)).toList();
        return new Started(agents, parts, outcome, coordinator);
    }

    private static BatchRequest request(final int count)
    {
        return new BatchRequest("flat", VmSpec.builder().kernel(Path.of("/nonexistent/flat.elf")).cmdline("").conclude(), count, 4, true);
    }

    private static void boot(final RunPart part, final String node, final int n)
    {
        for (int i = 0; i < n; i++)
        {
            part.replyTo().tell(new PartVmEnded(node, part.batchId(), new VmEvent("b1", "b1-vm-" + i, i + 1, "booted", null, "booted", 100 + i)));
        }
    }

    private static BatchHandle accepted(final Started started) throws Exception
    {
        return assertInstanceOf(ClusterBatch.Accepted.class, started.outcome().get(5, TimeUnit.SECONDS)).handle();
    }

    @Test
    void shouldGiveEachNodeItsPartAndMergeTheirVmsIntoOneSequenceAndOneReport() throws Exception
    {
        final Started started = start(9, 3, 3, 3);
        assertEquals(List.of(3, 3, 3), started.parts().stream().map(RunPart::count).toList());
        assertEquals("flat", started.parts().get(0).spec().kernel());

        started.parts().get(0).replyTo().tell(new PartStarted("n0", started.parts().get(0).batchId(), "b1"));
        final BatchHandle handle = accepted(started);
        for (int i = 1; i < 3; i++)
        {
            started.parts().get(i).replyTo().tell(new PartStarted("n" + i, started.parts().get(i).batchId(), "b" + (i + 1)));
        }
        for (int i = 0; i < 3; i++)
        {
            boot(started.parts().get(i), "n" + i, 3);
            started.parts().get(i).replyTo().tell(new PartDone("n" + i, started.parts().get(i).batchId(), null));
        }
        final BatchReport report = handle.report().toCompletableFuture().get(5, TimeUnit.SECONDS);

        assertEquals(9, report.booted());
        assertEquals(9, report.latencyMicros().count());
        assertEquals(Set.of("n0", "n1", "n2"), report.nodes().keySet());
        assertEquals(3, report.nodes().get("n2").booted());
        assertEquals("b3", report.nodes().get("n2").localBatchId());
        final List<VmEvent> events = handle.events().snapshot();
        assertEquals(List.of(1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L, 9L), events.stream().map(VmEvent::sequence).toList());
        assertTrue(events.stream().allMatch(event -> event.batchId().equals(handle.id()) && event.node() != null));
        assertTrue(handle.events().ended());
    }

    @Test
    void shouldEndALostNodesUnfinishedVmsAsNodeLostExactlyOnceAndStillFinishTheBatch() throws Exception
    {
        final Started started = start(30, 10, 10, 10);
        for (int i = 0; i < 3; i++)
        {
            started.parts().get(i).replyTo().tell(new PartStarted("n" + i, started.parts().get(i).batchId(), "b1"));
        }
        final BatchHandle handle = accepted(started);
        boot(started.parts().get(0), "n0", 10);
        started.parts().get(0).replyTo().tell(new PartDone("n0", started.parts().get(0).batchId(), null));
        boot(started.parts().get(1), "n1", 10);
        started.parts().get(1).replyTo().tell(new PartDone("n1", started.parts().get(1).batchId(), null));
        boot(started.parts().get(2), "n2", 4);
        // The node dies with 6 of its VMs unfinished (Akka's death watch, as when the Split Brain Resolver downs it).
        started.agents().get(2).stop();
        final BatchReport report = handle.report().toCompletableFuture().get(5, TimeUnit.SECONDS);

        assertEquals(24, report.booted());
        assertEquals(6, report.failed());
        final NodeFigures lost = report.nodes().get("n2");
        assertEquals("lost", lost.status());
        assertEquals(6, lost.lost());
        assertEquals(4, lost.booted());
        assertEquals(6, report.failures().stream().filter(group -> group.code().equals(ClusterTally.NODE_LOST)).mapToInt(g -> g.count()).sum());
        final List<VmEvent> events = handle.events().snapshot();
        assertEquals(30, events.size());
        final Set<String> vms = new HashSet<>();
        events.forEach(event -> assertTrue(vms.add(event.node() + "/" + event.vmId()), "accounted twice: " + event));
        // A late word from the lost node changes nothing.
        boot(started.parts().get(2), "n2", 1);
        assertEquals(30, handle.events().size());
    }

    @Test
    void shouldRefuseTheBatchOnlyWhenEveryNodeRefusesItsPart() throws Exception
    {
        final Started refusedByAll = start(4, 2, 2);
        refusedByAll.parts().get(0).replyTo().tell(new PartRefused("n0", refusedByAll.parts().get(0).batchId(), Refusal.busy("n0 is full")));
        assertFalse(refusedByAll.outcome().isDone());
        refusedByAll.parts().get(1).replyTo().tell(new PartRefused("n1", refusedByAll.parts().get(1).batchId(), Refusal.busy("n1 is full")));
        final ClusterBatch.Rejected rejected = assertInstanceOf(ClusterBatch.Rejected.class, refusedByAll.outcome().get(5, TimeUnit.SECONDS));
        assertEquals("n0 is full", rejected.refusal().message());

        final Started refusedByOne = start(4, 2, 2);
        refusedByOne.parts().get(0).replyTo().tell(new PartRefused("n0", refusedByOne.parts().get(0).batchId(), Refusal.busy("n0 is full")));
        refusedByOne.parts().get(1).replyTo().tell(new PartStarted("n1", refusedByOne.parts().get(1).batchId(), "b1"));
        final BatchHandle handle = accepted(refusedByOne);
        boot(refusedByOne.parts().get(1), "n1", 2);
        refusedByOne.parts().get(1).replyTo().tell(new PartDone("n1", refusedByOne.parts().get(1).batchId(), null));
        final BatchReport report = handle.report().toCompletableFuture().get(5, TimeUnit.SECONDS);
        assertEquals(2, report.booted());
        assertEquals(2, report.failed());
        assertEquals("refused", report.nodes().get("n0").status());
        assertTrue(report.failures().stream().anyMatch(group -> group.code().equals(ClusterTally.NODE_REFUSED) && group.count() == 2
            && group.summary().contains("n0 is full")), report.failures().toString());
    }

    @Test
    void shouldCancelEveryRunningPartAndCountExtraEventsNever() throws Exception
    {
        final Started started = start(4, 2, 2);
        started.parts().forEach(part -> part.replyTo().tell(new PartStarted(started.parts().indexOf(part) == 0 ? "n0" : "n1", part.batchId(), "b1")));
        final BatchHandle handle = accepted(started);
        boot(started.parts().get(0), "n0", 3);
        started.parts().get(0).replyTo().tell(new PartDone("n0", started.parts().get(0).batchId(), null));
        started.coordinator().tell(new ClusterBatch.Cancel());

        started.agents().get(1).expectMessage(Duration.ofSeconds(5), new CancelPart(started.parts().get(1).batchId()));
        started.agents().get(0).expectNoMessage(Duration.ofMillis(200));
        assertEquals(2, handle.events().size(), "the third event of a part of two is not counted");
        started.parts().get(1).replyTo().tell(new PartVmEnded("n1", started.parts().get(1).batchId(),
            new VmEvent("b1", "b1-vm-0", 1, "cancelled", "cancelled", "cancelled before launch", -1)));
        started.parts().get(1).replyTo().tell(new PartDone("n1", started.parts().get(1).batchId(), null));
        final BatchReport report = handle.report().toCompletableFuture().get(5, TimeUnit.SECONDS);
        assertEquals(Map.of("booted", 2, "cancelled", 1, "failed", 1), Map.of("booted", report.booted(), "cancelled", report.cancelled(), "failed",
            report.failed()), "n1 reported one of two VMs: the other ends node_lost, never silently");
    }
}
