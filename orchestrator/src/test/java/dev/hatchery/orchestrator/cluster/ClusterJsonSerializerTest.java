package dev.hatchery.orchestrator.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

import akka.actor.ExtendedActorSystem;
import akka.actor.testkit.typed.javadsl.ActorTestKit;
import akka.actor.testkit.typed.javadsl.TestProbe;
import akka.actor.typed.javadsl.Adapter;

import dev.hatchery.config.HugePages;
import dev.hatchery.config.MemoryMode;
import dev.hatchery.config.SpawnMode;
import dev.hatchery.orchestrator.FreeCapacity;
import dev.hatchery.orchestrator.Refusal;
import dev.hatchery.orchestrator.VmEvent;
import dev.hatchery.orchestrator.report.BatchReport;
import dev.hatchery.orchestrator.report.FailureGroup;
import dev.hatchery.orchestrator.report.LatencySummary;
import dev.hatchery.orchestrator.report.NodeFigures;

class ClusterJsonSerializerTest
{
    private static final ActorTestKit TEST_KIT = ActorTestKit.create();
    private static final ClusterJsonSerializer SERIALIZER = new ClusterJsonSerializer((ExtendedActorSystem)Adapter.toClassic(TEST_KIT.system()));

    @AfterAll
    static void stop()
    {
        TEST_KIT.shutdownTestKit();
    }

    @Test
    void shouldCarryEveryClusterMessageAcrossUnchanged()
    {
        final TestProbe<ClusterProtocol.PartReply> replies = TEST_KIT.createTestProbe();
        final TestProbe<ClusterProtocol.NodeCapacity> capacities = TEST_KIT.createTestProbe();
        final PortableSpec spec = new PortableSpec("flat", "", 128, 1, 0xd0000000L, 10_000, 65536, true, MemoryMode.TEMPLATE, HugePages.OFF, false,
            SpawnMode.BOOT, true);
        final BatchReport report = new BatchReport("flat", 3, 2, "template", 2, 1, 0, 0, 1.5, 1.33, new LatencySummary(2, 10, 15.0, 10, 20, 20, 20,
            20, List.of(new LatencySummary.CurvePoint(50.0, 10))), Map.of("bootComplete", LatencySummary.empty()), Map.of(), 0.5, 1 << 20, 4096, 2048,
            2048, List.of(new FailureGroup("triple_fault", "guest", "triple fault", 1, "b1-vm-2", "rip=0x1000")), Map.of("shell", 3), true, "lab",
            "2026-12-06T08:00:00Z", "boot", null, Map.of("127.0.0.1:25520", new NodeFigures("done", "b1", 3, 2, 1, 0, 0, 0, 1.33,
                LatencySummary.empty(), 0.5, 1 << 20, 4096, "lab")));
        final List<ClusterMessage> messages = List.of(
            new ClusterProtocol.QueryCapacity(capacities.ref()),
            new ClusterProtocol.NodeCapacity("127.0.0.1:25520", "http://127.0.0.1:8080", new FreeCapacity(10, 1L << 30, 8 << 20, 3)),
            new ClusterProtocol.RunPart("c1-x", spec, 100, 8, replies.ref()),
            new ClusterProtocol.CancelPart("c1-x"),
            new ClusterProtocol.PartStarted("n", "c1-x", "b7"),
            new ClusterProtocol.PartRefused("n", "c1-x", Refusal.busy("service at capacity")),
            new ClusterProtocol.PartVmEnded("n", "c1-x", new VmEvent("b7", "b7-vm-0", 1, "booted", null, "booted", 1234)),
            new ClusterProtocol.PartDone("n", "c1-x", report));

        for (final ClusterMessage message : messages)
        {
            final byte[] bytes = SERIALIZER.toBinary(message);
            assertEquals(message, SERIALIZER.fromBinary(bytes, SERIALIZER.manifest(message)), new String(bytes, java.nio.charset.StandardCharsets.UTF_8));
        }
    }

    @Test
    void shouldRefuseToInstantiateAnythingButAClusterMessageFromTheWire()
    {
        final IllegalArgumentException notOurs = assertThrows(IllegalArgumentException.class,
            () -> SERIALIZER.fromBinary("{}".getBytes(java.nio.charset.StandardCharsets.UTF_8), java.util.ArrayList.class.getName()));
        final IllegalArgumentException unknown = assertThrows(IllegalArgumentException.class,
            () -> SERIALIZER.fromBinary("{}".getBytes(java.nio.charset.StandardCharsets.UTF_8), "dev.hatchery.Nope"));

        assertTrue(notOurs.getMessage().contains("not a cluster message"), notOurs.getMessage());
        assertTrue(unknown.getMessage().contains("unknown cluster message type"), unknown.getMessage());
    }
}
