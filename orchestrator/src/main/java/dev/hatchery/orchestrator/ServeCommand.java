package dev.hatchery.orchestrator;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

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

    @CommandLine.Option(names = "--for-seconds", description = "stop after this many seconds (default: run until interrupted)")
    private Long forSeconds;

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
        try (Hatchery hatchery = Hatchery.start(config, KernelCatalog.fromEnvironment(System.getenv()));
             HttpServer server = HttpServer.start(hatchery.actorSystem(), hatchery, settings, limits.maxBatchCount(),
                 limits.maxBatchConcurrency()))
        {
            out.println("hatchery: serving http://" + settings.host() + ":" + server.address().getPort()
                + " kernels=" + String.join(",", hatchery.catalog().names()) + " token=" + (settings.token().isPresent() ? "required" : "off"));
            out.flush();
            if (forSeconds != null)
            {
                stopped.await(forSeconds, TimeUnit.SECONDS);
            }
            else
            {
                stopped.await();
            }
        }
        finally
        {
            out.println("hatchery: stopped; every VM ended and KVM released");
            out.flush();
            released.countDown();
        }
        return 0;
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
