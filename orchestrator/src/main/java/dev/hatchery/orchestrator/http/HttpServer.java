package dev.hatchery.orchestrator.http;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;

import akka.Done;
import akka.NotUsed;
import akka.actor.typed.ActorSystem;
import akka.http.javadsl.Http;
import akka.http.javadsl.IncomingConnection;
import akka.http.javadsl.ServerBinding;
import akka.http.javadsl.model.HttpRequest;
import akka.http.javadsl.model.HttpResponse;
import akka.stream.Materializer;
import akka.stream.javadsl.Flow;
import akka.stream.javadsl.Sink;
import akka.stream.javadsl.Source;

import dev.hatchery.orchestrator.VmService;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import scala.concurrent.duration.FiniteDuration;

/** The bound HTTP server; close it to stop accepting and let requests in progress finish (up to 10 s). */
public final class HttpServer implements AutoCloseable
{
    private static final Logger LOG = LoggerFactory.getLogger(HttpServer.class);

    private final ServerBinding binding;
    private final HttpConnections connections;

    private HttpServer(final ServerBinding binding, final HttpConnections connections)
    {
        this.binding = binding;
        this.connections = connections;
    }

    /** Binds the API; fails with the reason when the settings are unsafe or the address is taken. */
    public static HttpServer start(final ActorSystem<?> system, final VmService service, final HttpSettings settings, final int maxBatchCount,
        final int maxBatchConcurrency)
    {
        settings.validate();
        final HttpGuards guards = settings.guards();
        final HttpConnections connections = new HttpConnections();
        final Materializer materializer = Materializer.matFromSystem(system);
        final HostCheck hostCheck = HostCheck.of(settings.host(), HttpSettings.isLoopback(settings.host()), guards);
        final Flow<HttpRequest, HttpResponse, NotUsed> routes = new ApiRoutes(service, settings, hostCheck, connections, maxBatchCount,
            maxBatchConcurrency).routes().flow(system);
        try
        {
            // Connections are taken one by one (not bindFlow) so that each is counted, stamped with the port it came in on
            // (the Host check needs it) and held to the request-head timeout; mapAsyncUnordered bounds how many are served at once.
            final ServerBinding binding = Http.get(system).newServerAt(settings.host(), settings.port())
                .adaptSettings(server -> server.withParsingErrorHandler(MalformedRequests.class.getName())
                    .withMaxConnections(guards.maxConnections())
                    .withTimeouts(server.getTimeouts().withIdleTimeout(FiniteDuration.create(guards.idleTimeout().toMillis(), TimeUnit.MILLISECONDS))))
                .connectionSource()
                .mapAsyncUnordered(guards.maxConnections(), connection -> serve(connection, routes, guards, connections, materializer))
                .to(Sink.ignore())
                .run(system)
                .toCompletableFuture().get(30, TimeUnit.SECONDS);
            LOG.info("http.listening address={}:{} token={} max_body_bytes={} max_connections={} idle_timeout_s={} request_head_timeout_s={}"
                    + " allowed_hosts=\"{}\"", binding.localAddress().getHostString(), binding.localAddress().getPort(),
                settings.token().isPresent() ? "required" : "off (loopback only)", settings.maxBodyBytes(), guards.maxConnections(),
                guards.idleTimeout().toSeconds(), guards.requestHeadTimeout().toSeconds(), String.join(",", guards.allowedHosts()));
            return new HttpServer(binding, connections);
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

    /**
     * Ends a connection's request stream when no whole request head arrived within {@code timeout} of connecting: a client
     * that connects and trickles (slowloris) or sends nothing holds a connection slot no longer. It ends the stream rather
     * than failing it (as {@code initialTimeout} would): a failure reaches Akka's server as a handler error and is answered
     * 500; an ended request stream closes the connection.
     */
    private static Flow<HttpRequest, HttpRequest, NotUsed> requestHeadTimeout(final Duration timeout, final Runnable onTimeout)
    {
        final HttpRequest alarm = HttpRequest.create("/request-head-timeout");
        final Source<HttpRequest, NotUsed> alarmOnce = Source.single(alarm).initialDelay(timeout).concat(Source.never());
        return Flow.of(HttpRequest.class)
            .merge(alarmOnce, true)
            .statefulMapConcat(() ->
            {
                final boolean[] headSeen = {false};
                return request ->
                {
                    if (request != alarm)
                    {
                        headSeen[0] = true;
                        return List.of(request);
                    }
                    if (headSeen[0])
                    {
                        return List.of();
                    }
                    onTimeout.run();
                    return List.of(alarm);
                };
            })
            .takeWhile(request -> request != alarm);
    }

    /** Serves one connection; completes (never fails) when it closes. */
    private static CompletionStage<Done> serve(final IncomingConnection connection, final Flow<HttpRequest, HttpResponse, NotUsed> routes,
        final HttpGuards guards, final HttpConnections connections, final Materializer materializer)
    {
        connections.opened();
        final int port = connection.localAddress().getPort();
        final Flow<HttpRequest, HttpResponse, CompletionStage<Done>> handler = Flow.of(HttpRequest.class)
            .via(requestHeadTimeout(guards.requestHeadTimeout(), () ->
            {
                connections.headTimedOut();
                LOG.info("http.connection_closed reason=request_head_timeout remote={} timeout_ms={}", connection.remoteAddress(),
                    guards.requestHeadTimeout().toMillis());
            }))
            .map(request -> request.addAttribute(ApiRoutes.LOCAL_PORT, port))
            .via(routes)
            .watchTermination((notUsed, done) -> done);
        final CompletionStage<Done> closed;
        try
        {
            closed = connection.handleWith(handler, materializer);
        }
        catch (final RuntimeException ex)
        {
            connections.closed();
            LOG.warn("http.connection_failed remote={} error=\"{}\"", connection.remoteAddress(), ex.toString());
            return CompletableFuture.completedFuture(Done.getInstance());
        }
        return closed.handle((done, error) ->
        {
            connections.closed();
            return Done.getInstance();
        });
    }

    public InetSocketAddress address()
    {
        return binding.localAddress();
    }

    /** Connections open now (hatchery_http_connections_open). */
    public int openConnections()
    {
        return connections.open();
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
