package dev.hatchery.orchestrator;

import java.time.Duration;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;

import akka.actor.typed.ActorSystem;
import akka.actor.typed.javadsl.AskPattern;

import dev.hatchery.kernel.KernelCache;
import dev.hatchery.orchestrator.report.BatchReport;
import dev.hatchery.vm.VmHost;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;

/**
 * Hatchery embedded in a Java program: opens KVM, starts the actor system with its supervisor, and
 * runs batches. The CLI and the HTTP service use this facade too. Close it to stop every VM and release
 * KVM and the kernel templates.
 */
public final class Hatchery implements AutoCloseable
{
    private static final Duration ASK_TIMEOUT = Duration.ofSeconds(30);

    private final VmHost host;
    private final KernelCache kernels;
    private final ActorSystem<Supervisor.Command> system;
    private final KernelCatalog catalog;

    private Hatchery(final VmHost host, final KernelCache kernels, final ActorSystem<Supervisor.Command> system, final KernelCatalog catalog)
    {
        this.host = host;
        this.kernels = kernels;
        this.system = system;
        this.catalog = catalog;
    }

    /** Starts with the settings in application.conf and the bundled kernels announced by the launcher. */
    public static Hatchery start()
    {
        return start(ConfigFactory.load(), KernelCatalog.fromEnvironment(System.getenv()));
    }

    public static Hatchery start(final Config config, final KernelCatalog catalog)
    {
        final VmHost host = VmHost.open();
        final KernelCache kernels = new KernelCache();
        try
        {
            host.configureTaps(new dev.hatchery.vm.TapPool.Settings(config.getString("hatchery.taps.prefix"),
                config.getInt("hatchery.taps.size"), config.getString("hatchery.taps.subnet")));
            host.configureNetwork(new dev.hatchery.vm.NetSettings(
                dev.hatchery.vm.NetSettings.Loop.parse(config.getString("hatchery.network.event-loop")),
                config.getInt("hatchery.network.shared-loops"), config.getBoolean("hatchery.network.offloads")));
            final Supervisor.Settings settings = new Supervisor.Settings(config.getInt("hatchery.batch.max-count"),
                config.getInt("hatchery.batch.max-concurrency"), Environment.inLab(), Environment.describe());
            final ActorSystem<Supervisor.Command> system = ActorSystem.create(Supervisor.create(host, kernels, settings), "hatchery", config);
            return new Hatchery(host, kernels, system, catalog);
        }
        catch (final RuntimeException ex)
        {
            kernels.close();
            host.close();
            throw ex;
        }
    }

    public KernelCatalog catalog()
    {
        return catalog;
    }

    public KernelCache.Stats kernelCacheStats()
    {
        return kernels.stats();
    }

    /** Submits a batch; fails with {@link IllegalArgumentException} (the reason) when it is refused. */
    public CompletionStage<BatchHandle> submit(final BatchRequest request)
    {
        return AskPattern.<Supervisor.Command, Supervisor.StartReply>ask(system, replyTo -> new Supervisor.StartBatch(request, replyTo),
                ASK_TIMEOUT, system.scheduler())
            .thenApply(reply ->
            {
                if (reply instanceof Supervisor.Accepted accepted)
                {
                    return accepted.handle();
                }
                throw new IllegalArgumentException(((Supervisor.Rejected)reply).reason());
            });
    }

    /** Runs a batch to its end and returns its report. */
    public BatchReport run(final BatchRequest request)
    {
        return submit(request).thenCompose(BatchHandle::report).toCompletableFuture().join();
    }

    public void cancel(final String batchId)
    {
        system.tell(new Supervisor.CancelBatch(batchId));
    }

    /** Stops the actor system (every VM actor stops and releases its VM), then KVM and the templates. */
    @Override
    public void close()
    {
        system.terminate();
        try
        {
            system.getWhenTerminated().toCompletableFuture().get(60, TimeUnit.SECONDS);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
        catch (final java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException ex)
        {
            throw new IllegalStateException("actor system did not stop within 60 s", ex);
        }
        finally
        {
            kernels.close();
            host.close();
        }
    }
}
