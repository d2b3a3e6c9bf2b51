package dev.hatchery.orchestrator.cluster;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import dev.hatchery.orchestrator.http.HttpSettings;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;

/**
 * How this node joins a cluster ({@code hatchery.cluster}): where Artery listens, whom it joins through, TLS, and how
 * quickly a silent member is declared unreachable and downed. {@link #validate()} refuses a node off loopback without
 * TLS, as the HTTP API refuses one without a token (the same loopback test, {@link HttpSettings#isLoopback}): the
 * cluster transport carries work orders for a root service.
 */
public record ClusterSettings(boolean enabled, String host, int port, List<String> seedNodes, Tls tls, Duration failureDetectorPause,
    Duration downUnreachableAfter, Duration capacityTimeout)
{
    /** Every node's actor system has this name: Akka only joins systems of the same name. */
    public static final String SYSTEM_NAME = "hatchery";

    /** Key and trust stores (PKCS12 or JKS) for Artery's tls-tcp; empty paths mean plain TCP. */
    public record Tls(String keyStore, String keyStorePassword, String trustStore, String trustStorePassword)
    {
        boolean configured()
        {
            return !keyStore.isEmpty();
        }
    }

    public ClusterSettings
    {
        seedNodes = List.copyOf(seedNodes);
    }

    public static ClusterSettings fromConfig(final Config config)
    {
        final Config c = config.getConfig("hatchery.cluster");
        return new ClusterSettings(c.getBoolean("enabled"), c.getString("host"), c.getInt("port"), c.getStringList("seed-nodes"),
            new Tls(c.getString("tls.key-store"), c.getString("tls.key-store-password"), c.getString("tls.trust-store"),
                c.getString("tls.trust-store-password")),
            c.getDuration("failure-detector-pause"), c.getDuration("down-unreachable-after"), c.getDuration("capacity-timeout"));
    }

    /** The same settings, clustered, with what the command line gave (null keeps the configured value). */
    public ClusterSettings withCommandLine(final Integer clusterPort, final String clusterHost, final List<String> seeds)
    {
        return new ClusterSettings(true, clusterHost != null ? clusterHost : host, clusterPort != null ? clusterPort : port,
            seeds != null && !seeds.isEmpty() ? seeds : seedNodes, tls, failureDetectorPause, downUnreachableAfter, capacityTimeout);
    }

    /** Checks every setting, naming the bad one and the fix; returns this. */
    public ClusterSettings validate()
    {
        if (port < 0 || port > 65535)
        {
            throw new IllegalArgumentException("hatchery.cluster.port=" + port + " is not a port: give 1-65535 (or 0 for a free one)");
        }
        if (seedNodes.isEmpty())
        {
            throw new IllegalArgumentException("a clustered node needs seed nodes: --seed-nodes HOST:PORT[,HOST:PORT...] (or"
                + " hatchery.cluster.seed-nodes); the first node of a new cluster lists itself (" + host + ":" + port + ")");
        }
        seedNodes.forEach(ClusterSettings::hostPort);
        positive("failure-detector-pause", failureDetectorPause);
        positive("down-unreachable-after", downUnreachableAfter);
        positive("capacity-timeout", capacityTimeout);
        if (tls.configured())
        {
            if (tls.trustStore().isEmpty())
            {
                throw new IllegalArgumentException("hatchery.cluster.tls.key-store is set but tls.trust-store is not: every node needs both"
                    + " (the trust store holds the certificate that signed the members' keys)");
            }
            for (final String store : List.of(tls.keyStore(), tls.trustStore()))
            {
                if (!java.nio.file.Files.isReadable(java.nio.file.Path.of(store)))
                {
                    throw new IllegalArgumentException("cluster TLS store " + store + " is not a readable file: fix hatchery.cluster.tls.key-store"
                        + " / trust-store");
                }
            }
        }
        else if (!HttpSettings.isLoopback(host))
        {
            throw new IllegalArgumentException("cluster host=" + host + " is not loopback, and the cluster transport off loopback needs TLS:"
                + " set hatchery.cluster.tls.key-store, key-store-password, trust-store and trust-store-password (PKCS12 or JKS), or"
                + " listen on 127.0.0.1");
        }
        for (final String seed : seedNodes)
        {
            if (!tls.configured() && !HttpSettings.isLoopback(seed.substring(0, seed.lastIndexOf(':'))))
            {
                throw new IllegalArgumentException("seed node " + seed + " is not on loopback, and the cluster transport off loopback needs"
                    + " TLS: set hatchery.cluster.tls.*");
            }
        }
        return this;
    }

    /**
     * The Akka settings this node runs with, laid over the service's own: cluster provider, Artery (tcp or tls-tcp), the
     * seed nodes, the Split Brain Resolver (keep-majority) and Hatchery's message serializer.
     */
    public Config akkaConfig()
    {
        final Map<String, Object> akka = new LinkedHashMap<>();
        akka.put("akka.actor.provider", "cluster");
        akka.put("akka.remote.artery.transport", tls.configured() ? "tls-tcp" : "tcp");
        akka.put("akka.remote.artery.canonical.hostname", host);
        akka.put("akka.remote.artery.canonical.port", port);
        final List<String> seeds = new ArrayList<>();
        seedNodes.forEach(seed -> seeds.add("akka://" + SYSTEM_NAME + "@" + seed));
        akka.put("akka.cluster.seed-nodes", seeds);
        akka.put("akka.cluster.downing-provider-class", "akka.cluster.sbr.SplitBrainResolverProvider");
        akka.put("akka.cluster.split-brain-resolver.active-strategy", "keep-majority");
        akka.put("akka.cluster.split-brain-resolver.stable-after", downUnreachableAfter.toMillis() + "ms");
        akka.put("akka.cluster.failure-detector.acceptable-heartbeat-pause", failureDetectorPause.toMillis() + "ms");
        akka.put("akka.cluster.jmx.enabled", "off");
        akka.put("akka.actor.serializers.hatchery-cluster", ClusterJsonSerializer.class.getName());
        akka.put("akka.actor.serialization-bindings.\"" + ClusterMessage.class.getName() + "\"", "hatchery-cluster");
        if (tls.configured())
        {
            final String engine = "akka.remote.artery.ssl.config-ssl-engine.";
            akka.put(engine + "key-store", tls.keyStore());
            akka.put(engine + "key-store-password", tls.keyStorePassword());
            akka.put(engine + "key-password", tls.keyStorePassword());
            akka.put(engine + "trust-store", tls.trustStore());
            akka.put(engine + "trust-store-password", tls.trustStorePassword());
            akka.put(engine + "protocol", "TLSv1.3");
            akka.put(engine + "enabled-algorithms", List.of("TLS_AES_256_GCM_SHA384", "TLS_AES_128_GCM_SHA256"));
            akka.put(engine + "require-mutual-authentication", "on");
        }
        return ConfigFactory.parseMap(akka);
    }

    /** This node's address as the members name it, host:port. */
    public String self()
    {
        return host + ":" + port;
    }

    private static void hostPort(final String seed)
    {
        final int colon = seed.lastIndexOf(':');
        final String why = "seed node '" + seed + "' is not HOST:PORT (e.g. 10.0.0.5:25520)";
        if (colon <= 0 || colon == seed.length() - 1)
        {
            throw new IllegalArgumentException(why);
        }
        try
        {
            final int port = Integer.parseInt(seed.substring(colon + 1));
            if (port < 1 || port > 65535)
            {
                throw new IllegalArgumentException(why + ": port out of range");
            }
        }
        catch (final NumberFormatException ex)
        {
            throw new IllegalArgumentException(why, ex);
        }
    }

    private static void positive(final String name, final Duration value)
    {
        if (value.isNegative() || value.isZero())
        {
            throw new IllegalArgumentException("hatchery.cluster." + name + "=" + value + " must be above zero");
        }
    }
}
