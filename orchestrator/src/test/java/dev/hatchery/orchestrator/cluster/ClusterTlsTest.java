package dev.hatchery.orchestrator.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import akka.actor.typed.ActorSystem;
import akka.actor.typed.javadsl.Behaviors;
import akka.cluster.MemberStatus;
import akka.cluster.typed.Cluster;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;

/**
 * The settings {@link ClusterSettings#akkaConfig()} writes for TLS form a cluster over Artery tls-tcp with mutual
 * authentication, using stores made the way README "Cluster" shows (keytool, one cluster CA); a node whose key the CA
 * did not sign stays out. Two actor systems on loopback, no KVM.
 */
class ClusterTlsTest
{
    private static final String PASSWORD = "cluster-test-secret";

    @TempDir
    Path dir;

    @Test
    void shouldFormAClusterOverTlsWithKeysTheClusterCaSignedAndKeepAStrangerOut() throws Exception
    {
        keytool("-genkeypair", "-alias", "ca", "-dname", "CN=hatchery-ca", "-ext", "bc:c", "-keyalg", "EC", "-keystore", "ca.p12");
        keytool("-exportcert", "-alias", "ca", "-keystore", "ca.p12", "-rfc", "-file", "ca.pem");
        keytool("-importcert", "-noprompt", "-alias", "ca", "-file", "ca.pem", "-keystore", "trust.p12");
        for (final String node : List.of("node1", "node2"))
        {
            keytool("-genkeypair", "-alias", "node", "-dname", "CN=" + node, "-keyalg", "EC", "-keystore", node + ".p12");
            keytool("-certreq", "-alias", "node", "-keystore", node + ".p12", "-file", node + ".csr");
            keytool("-gencert", "-alias", "ca", "-keystore", "ca.p12", "-infile", node + ".csr", "-rfc", "-outfile", node + ".pem");
            keytool("-importcert", "-noprompt", "-alias", "ca", "-file", "ca.pem", "-keystore", node + ".p12");
            keytool("-importcert", "-alias", "node", "-file", node + ".pem", "-keystore", node + ".p12");
        }
        // A stranger: a self-signed key, trusting the cluster CA, but signed by nobody the members trust.
        keytool("-genkeypair", "-alias", "node", "-dname", "CN=stranger", "-keyalg", "EC", "-keystore", "stranger.p12");

        final int seedPort = freePort();
        final List<ActorSystem<Void>> systems = new ArrayList<>();
        try
        {
            systems.add(start("node1", "trust.p12", seedPort, seedPort));
            systems.add(start("node2", "trust.p12", freePort(), seedPort));
            awaitUp(systems.get(0), 2);
            assertEquals("tls-tcp", systems.get(0).settings().config().getString("akka.remote.artery.transport"));

            final ActorSystem<Void> stranger = start("stranger", "trust.p12", freePort(), seedPort);
            systems.add(stranger);
            Thread.sleep(5_000);
            assertEquals(2, members(systems.get(0)), "a key the CA did not sign joined");
            assertTrue(Cluster.get(stranger).selfMember().status() != MemberStatus.up(), "the stranger came up");
        }
        finally
        {
            systems.forEach(ActorSystem::terminate);
            for (final ActorSystem<Void> system : systems)
            {
                system.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
            }
        }
    }

    private ActorSystem<Void> start(final String keyStore, final String trustStore, final int port, final int seedPort)
    {
        final ClusterSettings settings = new ClusterSettings(true, "127.0.0.1", port, List.of("127.0.0.1:" + seedPort),
            new ClusterSettings.Tls(dir.resolve(keyStore + ".p12").toString(), PASSWORD, dir.resolve(trustStore).toString(), PASSWORD),
            Duration.ofSeconds(3), Duration.ofSeconds(10), Duration.ofSeconds(5)).validate();
        final Config config = settings.akkaConfig().withFallback(ConfigFactory.load());
        return ActorSystem.create(Behaviors.empty(), ClusterSettings.SYSTEM_NAME, config);
    }

    private static void awaitUp(final ActorSystem<Void> system, final int members) throws InterruptedException
    {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (members(system) < members
            || !java.util.stream.StreamSupport.stream(Cluster.get(system).state().getMembers().spliterator(), false)
                .allMatch(member -> member.status() == MemberStatus.up()))
        {
            assertTrue(System.nanoTime() < deadline, "no cluster of " + members + " over TLS: " + Cluster.get(system).state());
            Thread.sleep(100);
        }
    }

    private static long members(final ActorSystem<Void> system)
    {
        return java.util.stream.StreamSupport.stream(Cluster.get(system).state().getMembers().spliterator(), false).count();
    }

    private void keytool(final String... args) throws Exception
    {
        final List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "keytool").toString()));
        command.addAll(List.of(args));
        command.addAll(List.of("-storepass", PASSWORD, "-keypass", PASSWORD, "-storetype", "PKCS12"));
        final Process process = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
        final String output = new String(process.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        assertEquals(0, process.waitFor(), String.join(" ", args) + ": " + output);
    }

    private static int freePort() throws java.io.IOException
    {
        try (java.net.ServerSocket socket = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress()))
        {
            return socket.getLocalPort();
        }
    }
}
