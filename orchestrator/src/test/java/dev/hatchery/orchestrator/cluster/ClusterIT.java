package dev.hatchery.orchestrator.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

import akka.cluster.MemberStatus;
import akka.cluster.typed.Cluster;

import dev.hatchery.orchestrator.BatchHandle;
import dev.hatchery.orchestrator.BatchRequest;
import dev.hatchery.orchestrator.KernelCatalog;
import dev.hatchery.orchestrator.VmEvent;
import dev.hatchery.orchestrator.report.BatchReport;
import dev.hatchery.orchestrator.report.NodeFigures;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;

/**
 * Three Hatchery nodes, three JVMs, one cluster on real KVM (in the lab, one lab machine): this JVM's node is the seed
 * and coordinates; two more run {@code serve --cluster} as their own processes. A 300-VM flat batch runs on all three;
 * then one node is killed with SIGKILL in the middle of another, and every VM is still accounted for exactly once;
 * then a node started again on that port takes part in new work.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ClusterIT
{
    private static final int SEED_PORT = 25611;
    private static final int COUNT = 300;
    /**
     * One emulated CPU runs three JVMs here: heartbeats and capacity answers may lag seconds, which must not look like a
     * dead node. No VM shells: a node would hold idle KVM VMs between batches, which the lab's stall watch takes for
     * stuck guests while another JVM starts (and filling them costs the lab's one CPU).
     */
    private static final Map<String, Object> LAB_SETTINGS = Map.of("hatchery.cluster.failure-detector-pause", "10s",
        "hatchery.cluster.down-unreachable-after", "5s", "hatchery.cluster.capacity-timeout", "20s", "hatchery.shells.depth", "0",
        "hatchery.vm.spare-vcpu-threads", "2");
    private static final long START = System.nanoTime();

    private static ClusterHatchery seed;
    private static final List<Process> children = new CopyOnWriteArrayList<>();
    private static final Map<Integer, Node> nodes = new java.util.concurrent.ConcurrentHashMap<>();

    private record Node(Process process, String http, List<String> output)
    {
    }

    @BeforeAll
    static void formCluster() throws Exception
    {
        final Config config = ConfigFactory.parseMap(LAB_SETTINGS).withFallback(ConfigFactory.load());
        seed = ClusterHatchery.start(config, KernelCatalog.fromEnvironment(System.getenv()),
            ClusterSettings.fromConfig(config).withCommandLine(SEED_PORT, "127.0.0.1", List.of("127.0.0.1:" + SEED_PORT)));
        final CompletableFuture<Node> second = CompletableFuture.supplyAsync(() -> startNode(SEED_PORT + 1));
        final CompletableFuture<Node> third = CompletableFuture.supplyAsync(() -> startNode(SEED_PORT + 2));
        step("seed node up");
        nodes.put(SEED_PORT + 1, second.get(10, TimeUnit.MINUTES));
        nodes.put(SEED_PORT + 2, third.get(10, TimeUnit.MINUTES));
        step("two more nodes serving");
        awaitMembersUp(3);
        step("three members up, each agent answering");
    }

    /** Where the class's time goes (three JVMs on the lab's one CPU): printed, never asserted. */
    private static void step(final String what)
    {
        System.out.printf("cluster.step at_s=%.1f %s%n", (System.nanoTime() - START) / 1e9, what);
    }

    @AfterAll
    static void stopAll() throws Exception
    {
        for (final Process child : children)
        {
            child.destroy();
        }
        for (final Process child : children)
        {
            if (!child.waitFor(2, TimeUnit.MINUTES))
            {
                child.destroyForcibly();
            }
        }
        if (seed != null)
        {
            seed.close();
        }
    }

    @Test
    @Order(1)
    void shouldRunOneBatchOnEveryNodeAndReportItOnceWithEachNodesShare() throws Exception
    {
        final HttpResponse<String> view = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(nodes.get(SEED_PORT + 1).http()
            + "/v1/cluster")).timeout(Duration.ofMinutes(1)).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, view.statusCode(), view.body());
        for (int port = SEED_PORT; port < SEED_PORT + 3; port++)
        {
            assertTrue(view.body().contains("\"node\":\"127.0.0.1:" + port + "\",\"status\":\"up\",\"reachable\":true"), view.body());
        }

        final BatchHandle handle = seed.submit(flat(COUNT, 12)).toCompletableFuture().get(2, TimeUnit.MINUTES);
        final BatchReport report = handle.report().toCompletableFuture().get(15, TimeUnit.MINUTES);
        System.out.printf("cluster.batch vms=%d booted=%d wall_s=%.2f boots_per_s=%.1f nodes=%s env=\"lab (emulated)\"%n", report.count(),
            report.booted(), report.wallSeconds(), report.throughputPerSecond(), shares(report));

        assertEquals(COUNT, report.booted(), report.failures().toString());
        assertEquals(3, report.nodes().size(), report.nodes().toString());
        report.nodes().forEach((node, figures) ->
        {
            assertEquals("done", figures.status(), node);
            assertTrue(figures.vms() > 0 && figures.booted() == figures.vms(), node + ": " + figures);
        });
        assertAccountedOnce(handle, report);
    }

    @Test
    @Order(2)
    void shouldAccountForEveryVmWhenANodeIsKilledMidBatch() throws Exception
    {
        final String victim = "127.0.0.1:" + (SEED_PORT + 2);
        final BatchHandle handle = seed.submit(flat(COUNT, 6)).toCompletableFuture().get(2, TimeUnit.MINUTES);
        final long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(10);
        while (handle.events().snapshot().stream().filter(event -> victim.equals(event.node())).count() < 5)
        {
            assertTrue(System.nanoTime() < deadline, "the victim ran none of its VMs");
            Thread.sleep(50);
        }
        final Process killed = nodes.get(SEED_PORT + 2).process();
        killed.destroyForcibly();
        assertTrue(killed.waitFor(1, TimeUnit.MINUTES));
        System.out.printf("cluster.kill node=%s exit=%d events_before=%d%n", victim, killed.exitValue(), handle.events().size());
        assertEquals(137, killed.exitValue(), "SIGKILL");

        final BatchReport report = handle.report().toCompletableFuture().get(15, TimeUnit.MINUTES);
        final NodeFigures lost = report.nodes().get(victim);
        System.out.printf("cluster.batch_with_kill vms=%d booted=%d failed=%d node_lost=%d wall_s=%.2f nodes=%s env=\"lab (emulated)\"%n",
            report.count(), report.booted(), report.failed(), lost.lost(), report.wallSeconds(), shares(report));

        assertEquals("lost", lost.status(), lost.toString());
        assertTrue(lost.lost() > 0, "the node was killed with VMs unfinished: " + lost);
        assertEquals(COUNT, report.booted() + report.failed(), report.toString());
        assertEquals(lost.lost(), report.failed(), "only the lost node's unfinished VMs fail: " + report.failures());
        assertEquals(lost.lost(), handle.events().snapshot().stream().filter(event -> "node_lost".equals(event.failure())).count());
        assertAccountedOnce(handle, report);
        awaitMembersUp(2);
    }

    @Test
    @Order(3)
    void shouldGiveANodeThatRejoinsNewWork() throws Exception
    {
        nodes.put(SEED_PORT + 2, startNode(SEED_PORT + 2));
        awaitMembersUp(3);
        step("the killed node is back");

        final BatchHandle handle = seed.submit(flat(30, 6)).toCompletableFuture().get(2, TimeUnit.MINUTES);
        final BatchReport report = handle.report().toCompletableFuture().get(10, TimeUnit.MINUTES);

        assertEquals(30, report.booted(), report.failures().toString());
        final NodeFigures rejoined = report.nodes().get("127.0.0.1:" + (SEED_PORT + 2));
        assertNotNull(rejoined, "the rejoined node got no part: " + report.nodes());
        assertEquals(rejoined.vms(), rejoined.booted(), rejoined.toString());
    }

    private static BatchRequest flat(final int count, final int concurrency)
    {
        final KernelCatalog catalog = seed.catalog();
        return new BatchRequest(KernelCatalog.FLAT, catalog.specFor(KernelCatalog.FLAT, false).conclude(), count, concurrency, true);
    }

    private static void assertAccountedOnce(final BatchHandle handle, final BatchReport report)
    {
        final List<VmEvent> events = handle.events().snapshot();
        assertEquals(COUNT, events.size());
        final Set<String> seen = new HashSet<>();
        for (int i = 0; i < events.size(); i++)
        {
            final VmEvent event = events.get(i);
            assertEquals(i + 1, event.sequence(), "one sequence across the nodes");
            assertTrue(seen.add(event.node() + "/" + event.vmId()), "accounted twice: " + event);
        }
        assertEquals(COUNT, report.nodes().values().stream().mapToInt(NodeFigures::vms).sum());
    }

    private static String shares(final BatchReport report)
    {
        final List<String> shares = new ArrayList<>();
        report.nodes().forEach((node, figures) -> shares.add(node + ":" + figures.status() + ":" + figures.vms() + "/" + figures.booted()
            + "/lost=" + figures.lost()));
        return String.join(",", shares);
    }

    private static void awaitMembersUp(final int members) throws InterruptedException
    {
        final Cluster cluster = Cluster.get(seed.local().actorSystem());
        final long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(5);
        while (true)
        {
            int up = 0;
            int other = 0;
            for (final akka.cluster.Member member : cluster.state().getMembers())
            {
                if (member.status().equals(MemberStatus.up()))
                {
                    up++;
                }
                else
                {
                    other++;
                }
            }
            if (up == members && other == 0 && cluster.state().getUnreachable().isEmpty() && agentsAnswering() == members)
            {
                return;
            }
            if (System.nanoTime() > deadline)
            {
                fail("the cluster did not settle at " + members + " members up: " + cluster.state().getMembers() + " unreachable="
                    + cluster.state().getUnreachable() + "; node output: " + nodes);
            }
            Thread.sleep(200);
        }
    }

    /** Members whose agent the seed finds (the Receptionist's listing spreads by gossip, after the member is up) and hears from. */
    private static long agentsAnswering()
    {
        try
        {
            return seed.view().toCompletableFuture().get(1, TimeUnit.MINUTES).members().stream().filter(member -> member.free() != null).count();
        }
        catch (final Exception ex)
        {
            return -1;
        }
    }

    private static Path serviceJar()
    {
        Path dir = Path.of(System.getProperty("user.dir")).toAbsolutePath();
        while (dir != null && !java.nio.file.Files.isRegularFile(dir.resolve("orchestrator/target/hatchery.jar")))
        {
            dir = dir.getParent();
        }
        assertNotNull(dir, "orchestrator/target/hatchery.jar not found above " + System.getProperty("user.dir") + ": run the tests through"
            + " ./hatchery test, which builds it (mvn install)");
        return dir.resolve("orchestrator/target/hatchery.jar");
    }

    /** Starts {@code ./hatchery serve --cluster} as its own JVM from the service's runnable jar; returns once it serves. */
    private static Node startNode(final int clusterPort)
    {
        final List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            "--add-exports", "java.base/jdk.internal.misc=ALL-UNNAMED", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xmx512m",
            "-Dhatchery.taps.prefix=hc" + (clusterPort - SEED_PORT)));
        LAB_SETTINGS.forEach((key, value) -> command.add("-D" + key + "=" + value));
        // The runnable jar, as users start a node: one jar to search for each class rather than this JVM's test classpath
        // of a few hundred entries, which cost each node minutes of the lab's one CPU to start.
        command.addAll(List.of("-jar", serviceJar().toString(), "serve", "--port", "0",
            "--cluster", "--cluster-port", String.valueOf(clusterPort), "--seed-nodes", "127.0.0.1:" + SEED_PORT));
        try
        {
            final Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
            children.add(process);
            final BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
            final List<String> seen = new CopyOnWriteArrayList<>();
            for (String line = out.readLine(); line != null; line = out.readLine())
            {
                seen.add(line);
                if (line.startsWith("hatchery: serving "))
                {
                    final String http = line.substring("hatchery: serving ".length()).split(" ")[0];
                    // Keep draining (and keeping the last lines of) its output so it never blocks on a full pipe.
                    CompletableFuture.runAsync(() -> out.lines().forEach(more ->
                    {
                        seen.add(more);
                        if (seen.size() > 200)
                        {
                            seen.remove(0);
                        }
                    }));
                    return new Node(process, http, seen);
                }
            }
            throw new IllegalStateException("node on cluster port " + clusterPort + " exited before serving: " + String.join("\n", seen));
        }
        catch (final java.io.IOException ex)
        {
            throw new IllegalStateException("could not start a node on cluster port " + clusterPort + ": " + ex.getMessage(), ex);
        }
    }
}
