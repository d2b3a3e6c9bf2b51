package dev.hatchery.orchestrator.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;

class ClusterSettingsTest
{
    private static final ClusterSettings DEFAULTS = ClusterSettings.fromConfig(ConfigFactory.load());

    @Test
    void shouldBuildAClusterOverArteryTcpWithTheSplitBrainResolverOnLoopback()
    {
        final Config akka = DEFAULTS.withCommandLine(25531, null, List.of("127.0.0.1:25531", "127.0.0.1:25532")).validate().akkaConfig();

        assertEquals("cluster", akka.getString("akka.actor.provider"));
        assertEquals("tcp", akka.getString("akka.remote.artery.transport"));
        assertEquals(25531, akka.getInt("akka.remote.artery.canonical.port"));
        assertEquals(List.of("akka://hatchery@127.0.0.1:25531", "akka://hatchery@127.0.0.1:25532"), akka.getStringList("akka.cluster.seed-nodes"));
        assertEquals("akka.cluster.sbr.SplitBrainResolverProvider", akka.getString("akka.cluster.downing-provider-class"));
        assertEquals("keep-majority", akka.getString("akka.cluster.split-brain-resolver.active-strategy"));
        assertEquals("hatchery-cluster", akka.getConfig("akka.actor.serialization-bindings").root().unwrapped()
            .get(ClusterMessage.class.getName()));
    }

    @Test
    void shouldRefuseAnOpenClusterPortWithoutTls()
    {
        final IllegalArgumentException error = assertThrows(IllegalArgumentException.class,
            () -> DEFAULTS.withCommandLine(25520, "0.0.0.0", List.of("127.0.0.1:25520")).validate());

        assertTrue(error.getMessage().contains("needs TLS") && error.getMessage().contains("hatchery.cluster.tls.key-store"), error.getMessage());
    }

    @Test
    void shouldRefuseASeedOffLoopbackWithoutTls()
    {
        final IllegalArgumentException error = assertThrows(IllegalArgumentException.class,
            () -> DEFAULTS.withCommandLine(25520, null, List.of("10.1.2.3:25520")).validate());

        assertTrue(error.getMessage().contains("10.1.2.3:25520"), error.getMessage());
    }

    @Test
    void shouldUseTlsTcpWithMutualAuthenticationWhenStoresAreGiven() throws Exception
    {
        final java.nio.file.Path store = java.nio.file.Files.createTempFile("hatchery-cluster", ".p12");
        try
        {
            final ClusterSettings tls = new ClusterSettings(true, "0.0.0.0", 25520, List.of("10.1.2.3:25520"),
                new ClusterSettings.Tls(store.toString(), "secret", store.toString(), "secret"), DEFAULTS.failureDetectorPause(),
                DEFAULTS.downUnreachableAfter(), DEFAULTS.capacityTimeout()).validate();
            final Config akka = tls.akkaConfig();

            assertEquals("tls-tcp", akka.getString("akka.remote.artery.transport"));
            assertEquals(store.toString(), akka.getString("akka.remote.artery.ssl.config-ssl-engine.key-store"));
            assertTrue(akka.getBoolean("akka.remote.artery.ssl.config-ssl-engine.require-mutual-authentication"));
        }
        finally
        {
            java.nio.file.Files.delete(store);
        }
    }

    @Test
    void shouldNameTheBadSettingAndTheFix()
    {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> DEFAULTS.withCommandLine(null, null, List.of()).validate()).getMessage()
            .contains("--seed-nodes"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> DEFAULTS.withCommandLine(null, null, List.of("nohost")).validate())
            .getMessage().contains("is not HOST:PORT"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> DEFAULTS.withCommandLine(null, null, List.of("127.0.0.1:70000")).validate())
            .getMessage().contains("out of range"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> DEFAULTS.withCommandLine(70000, null, List.of("127.0.0.1:1")).validate())
            .getMessage().contains("is not a port"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new ClusterSettings(true, "0.0.0.0", 1, List.of("127.0.0.1:1"),
            new ClusterSettings.Tls("/nonexistent/key.p12", "x", "/nonexistent/trust.p12", "x"), DEFAULTS.failureDetectorPause(),
            DEFAULTS.downUnreachableAfter(), DEFAULTS.capacityTimeout()).validate()).getMessage().contains("not a readable file"));
    }
}
