package dev.hatchery.orchestrator;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import dev.hatchery.orchestrator.cluster.ClusterHatchery;
import dev.hatchery.orchestrator.cluster.ClusterSettings;
import dev.hatchery.orchestrator.http.HttpServer;
import dev.hatchery.orchestrator.http.HttpSettings;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** Runs the HTTP API until interrupted (Ctrl-C, SIGTERM) or for --for-seconds; then stops every VM and releases KVM. */
@Command(name = "serve", description = "Serve the HTTP API (POST /v1/batches, POST /v1/vms, ...; see /v1/openapi.json).")
final class ServeCommand implements Callable<Integer>
{
    @CommandLine.Spec
    private CommandLine.Model.CommandSpec spec;

    @CommandLine.Option(names = "--host", description = "address to listen on (default: hatchery.http.host, 127.0.0.1);"
        + " anything but loopback needs HATCHERY_TOKEN")
    private String host;

    @CommandLine.Option(names = "--port", description = "port to listen on; 0 picks a free one (default: hatchery.http.port, 8080)")
    private Integer port;

    @CommandLine.Option(names = "--allow-host", paramLabel = "NAME", description = "a name clients reach the service by, accepted in the"
        + " Host header besides the listening address (and localhost on loopback); repeatable; \"*\" accepts any (default:"
        + " hatchery.http.allowed-hosts); on 0.0.0.0, every name but localhost that clients use")
    private List<String> allowHosts = new ArrayList<>();

    @CommandLine.Option(names = "--cluster", description = "join an Akka Cluster of Hatchery nodes (README \"Cluster\"): batches"
        + " submitted here are split across the members by their free capacity")
    private boolean cluster;

    @CommandLine.Option(names = "--seed-nodes", split = ",", paramLabel = "HOST:PORT", description = "with --cluster: the nodes to join"
        + " through, comma-separated; the first node of a cluster lists itself (default: hatchery.cluster.seed-nodes)")
    private List<String> seedNodes;

    @CommandLine.Option(names = "--cluster-port", description = "with --cluster: this node's cluster transport port (default:"
        + " hatchery.cluster.port, 25520)")
    private Integer clusterPort;

    @CommandLine.Option(names = "--cluster-host", description = "with --cluster: this node's cluster transport address (default:"
        + " hatchery.cluster.host, 127.0.0.1); anything but loopback needs hatchery.cluster.tls.*")
    private String clusterHost;

    @CommandLine.Option(names = "--for-seconds", description = "stop after this many seconds (default: run until interrupted)")
    private Long forSeconds;

    private boolean leftCluster;

    @Override
    public Integer call() throws InterruptedException
    {
        final Config config = ConfigFactory.load();
        final HttpSettings defaults = HttpSettings.fromConfig(config, System.getenv());
        final List<String> allowed = new ArrayList<>(defaults.guards().allowedHosts());
        allowed.addAll(allowHosts);
        final HttpSettings settings = defaults.withAddress(host != null ? host : defaults.host(), port != null ? port : defaults.port())
            .withGuards(defaults.guards().withAllowedHosts(allowed)).validate();
        final Limits limits = Limits.fromConfig(config);
        final PrintWriter out = spec.commandLine().getOut();
        final CountDownLatch stopped = new CountDownLatch(1);
        final CountDownLatch released = new CountDownLatch(1);
        // On SIGTERM the JVM exits once its hooks return: hold it until the VMs and KVM are released below.
        final Thread hook = new Thread(() ->
        {
            stopped.countDown();
            awaitQuietly(released);
        }, "hatchery-serve-stop");
        Runtime.getRuntime().addShutdownHook(hook);
        final ClusterSettings clustering = clusterSettings(config);
        final KernelCatalog catalog = KernelCatalog.fromEnvironment(System.getenv());
        try (Node node = clustering == null ? new Node(Hatchery.start(config, catalog), null)
                 : Node.of(ClusterHatchery.start(config, catalog, clustering));
             HttpServer server = HttpServer.start(node.hatchery().actorSystem(), node.service(), settings, limits.maxBatchCount(),
                 limits.maxBatchConcurrency()))
        {
            final String url = "http://" + settings.host() + ":" + server.address().getPort();
            if (node.cluster() != null)
            {
                node.cluster().serveHttpAt(url);
                // A node the Split Brain Resolver downs (or that cannot join) stops its actor system: serve no longer.
                node.hatchery().actorSystem().getWhenTerminated().thenRun(stopped::countDown);
            }
            final akka.actor.typed.ActorSystem<?> system = node.hatchery().actorSystem();
            out.println("hatchery: serving " + url + " kernels=" + String.join(",", node.hatchery().catalog().names()) + " token="
                + (settings.token().isPresent() ? "required" : "off") + (node.cluster() == null ? ""
                    : " cluster_node=" + node.cluster().node() + " seeds=" + String.join(",", clustering.seedNodes())));
            out.flush();
            if (forSeconds != null)
            {
                stopped.await(forSeconds, TimeUnit.SECONDS);
            }
            else
            {
                stopped.await();
            }
            if (system.whenTerminated().isCompleted())
            {
                // Nobody asked it to stop: the cluster downed this node (or it could not stay a member).
                out.println("hatchery: this node left the cluster (downed by the Split Brain Resolver, or removed): its VMs stopped");
                leftCluster = true;
            }
        }
        finally
        {
            out.println("hatchery: stopped; every VM ended and KVM released");
            out.flush();
            released.countDown();
        }
        return leftCluster ? 1 : 0;
    }

    /** The cluster settings when --cluster (or hatchery.cluster.enabled) asks for one, else null; refuses cluster flags without it. */
    private ClusterSettings clusterSettings(final Config config)
    {
        final ClusterSettings configured = ClusterSettings.fromConfig(config);
        if (!cluster && !configured.enabled())
        {
            if (seedNodes != null || clusterPort != null || clusterHost != null)
            {
                throw new CommandLine.ParameterException(spec.commandLine(), "--seed-nodes, --cluster-port and --cluster-host need --cluster");
            }
            return null;
        }
        return configured.withCommandLine(clusterPort, clusterHost, seedNodes).validate();
    }

    /** The service this process serves: a node alone, or a cluster member (which closes its local service itself). */
    private record Node(Hatchery hatchery, ClusterHatchery cluster) implements AutoCloseable
    {
        static Node of(final ClusterHatchery cluster)
        {
            return new Node(cluster.local(), cluster);
        }

        VmService service()
        {
            return cluster != null ? cluster : hatchery;
        }

        @Override
        public void close()
        {
            if (cluster != null)
            {
                cluster.close();
            }
            else
            {
                hatchery.close();
            }
        }
    }

    private static void awaitQuietly(final CountDownLatch latch)
    {
        try
        {
            latch.await(60, TimeUnit.SECONDS);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
    }
}
