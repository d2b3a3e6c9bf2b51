package dev.hatchery.orchestrator.http;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import akka.actor.typed.ActorSystem;
import akka.http.javadsl.Http;
import akka.http.javadsl.ServerBinding;

import dev.hatchery.orchestrator.VmService;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The bound HTTP server; close it to stop accepting and let requests in progress finish (up to 10 s). */
public final class HttpServer implements AutoCloseable
{
    private static final Logger LOG = LoggerFactory.getLogger(HttpServer.class);

    private final ServerBinding binding;

    private HttpServer(final ServerBinding binding)
    {
        this.binding = binding;
    }

    /** Binds the API; fails with the reason when the settings are unsafe or the address is taken. */
    public static HttpServer start(final ActorSystem<?> system, final VmService service, final HttpSettings settings, final int maxBatchCount,
        final int maxBatchConcurrency)
    {
        settings.validate();
        final ApiRoutes routes = new ApiRoutes(service, settings, maxBatchCount, maxBatchConcurrency);
        try
        {
            final ServerBinding binding = Http.get(system).newServerAt(settings.host(), settings.port())
                .adaptSettings(server -> server.withParsingErrorHandler(MalformedRequests.class.getName()))
                .bind(routes.routes())
                .toCompletableFuture().get(30, TimeUnit.SECONDS);
            LOG.info("http.listening address={}:{} token={} max_body_bytes={}", binding.localAddress().getHostString(),
                binding.localAddress().getPort(), settings.token().isPresent() ? "required" : "off (loopback only)", settings.maxBodyBytes());
            return new HttpServer(binding);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while binding " + settings.host() + ":" + settings.port(), ex);
        }
        catch (final java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException ex)
        {
            final Throwable cause = ex.getCause() == null ? ex : ex.getCause();
            throw new IllegalStateException("cannot listen on " + settings.host() + ":" + settings.port() + ": " + cause.getMessage()
                + " (is another server using the port? pick another with --port)", cause);
        }
    }

    public InetSocketAddress address()
    {
        return binding.localAddress();
    }

    @Override
    public void close()
    {
        try
        {
            binding.terminate(Duration.ofSeconds(10)).toCompletableFuture().get(15, TimeUnit.SECONDS);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
        catch (final java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException ex)
        {
            LOG.warn("http.stop_incomplete error=\"{}\"", ex.toString());
        }
    }
}
