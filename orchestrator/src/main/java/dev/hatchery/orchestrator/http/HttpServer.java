package dev.hatchery.orchestrator.http;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import akka.Done;
import akka.NotUsed;
import akka.actor.typed.ActorSystem;
import akka.actor.typed.javadsl.Adapter;
import akka.http.javadsl.Http;
import akka.http.javadsl.model.HttpRequest;
import akka.http.javadsl.model.HttpResponse;
import akka.http.javadsl.settings.ServerSettings;
import akka.stream.KillSwitches;
import akka.stream.Materializer;
import akka.stream.SharedKillSwitch;
import akka.stream.TLSProtocol;
import akka.stream.javadsl.BidiFlow;
import akka.stream.javadsl.Flow;
import akka.stream.javadsl.Sink;
import akka.stream.javadsl.TLSPlacebo;
import akka.stream.javadsl.Tcp;

import dev.hatchery.orchestrator.VmService;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;


/**
 * The bound HTTP server; close it to stop accepting and let requests in progress finish (up to 10 s).
 * <p>
 * Connections are TCP connections joined by hand with Akka's HTTP server layer (not {@code Http.newServerAt(...).bind}):
 * below that layer sit the request-head timeout ({@link RequestHeadGuard}, which must be able to answer when no request
 * was parsed) and the idle timeout; each connection is counted, stamped with the port it came in on (the Host check needs
 * it), and at most {@code max-connections} are served at once (accepting waits beyond that).
 */
public final class HttpServer implements AutoCloseable
{
    private static final Logger LOG = LoggerFactory.getLogger(HttpServer.class);
    private static final Duration DRAIN = Duration.ofSeconds(10);

    private final Tcp.ServerBinding binding;
    private final HttpConnections connections;
    private final SharedKillSwitch killSwitch;
    private final AtomicInteger inFlight;

    private HttpServer(final Tcp.ServerBinding binding, final HttpConnections connections, final SharedKillSwitch killSwitch,
        final AtomicInteger inFlight)
    {
        this.binding = binding;
        this.connections = connections;
        this.killSwitch = killSwitch;
        this.inFlight = inFlight;
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
        final ServerSettings serverSettings = ServerSettings.create(Adapter.toClassic(system))
            .withParsingErrorHandler(MalformedRequests.class.getName());
        final SharedKillSwitch killSwitch = KillSwitches.shared("http-server");
        final AtomicInteger inFlight = new AtomicInteger();
        // Made once, not per connection: building Akka's server layer loads its classes, and a first connection that took
        // seconds to be handled was reset (akka.io.tcp.register-timeout).
        final BidiFlow<HttpResponse, akka.util.ByteString, akka.util.ByteString, HttpRequest, NotUsed> httpLayer = Http.get(system)
            .serverLayer(serverSettings, Optional.empty(), system.classicSystem().log()).atop(plainTcp());
        final akka.util.ByteString headTimeoutAnswer = akka.util.ByteString.fromArray(Problem.headTimeout("no whole request head came within "
            + guards.requestHeadTimeout().toMillis() + " ms of connecting (hatchery.http.request-head-timeout); the connection is closed")
            .toClosingResponseBytes());
        try
        {
            final Tcp.ServerBinding binding = Tcp.get(system).bind(settings.host(), settings.port(), serverSettings.getBacklog(),
                    serverSettings.getSocketOptions(), false, Optional.empty())
                .mapAsyncUnordered(guards.maxConnections(), connection -> serve(connection, routes, httpLayer, guards, connections,
                    killSwitch, inFlight, headTimeoutAnswer, materializer))
                .to(Sink.ignore())
                .run(materializer)
                .toCompletableFuture().get(30, TimeUnit.SECONDS);
            LOG.info("http.listening address={}:{} token={} max_body_bytes={} max_connections={} idle_timeout_s={} request_head_timeout_s={}"
                    + " allowed_hosts=\"{}\"", binding.localAddress().getHostString(), binding.localAddress().getPort(),
                settings.token().isPresent() ? "required" : "off (loopback only)", settings.maxBodyBytes(), guards.maxConnections(),
                guards.idleTimeout().toSeconds(), guards.requestHeadTimeout().toSeconds(), String.join(",", guards.allowedHosts()));
            return new HttpServer(binding, connections, killSwitch, inFlight);
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

    /** Serves one connection; completes (never fails) when it closes. */
    private static CompletionStage<Done> serve(final Tcp.IncomingConnection connection, final Flow<HttpRequest, HttpResponse, NotUsed> routes,
        final BidiFlow<HttpResponse, akka.util.ByteString, akka.util.ByteString, HttpRequest, NotUsed> httpLayer, final HttpGuards guards,
        final HttpConnections connections, final SharedKillSwitch killSwitch, final AtomicInteger inFlight,
        final akka.util.ByteString headTimeoutAnswer, final Materializer materializer)
    {
        connections.opened();
        final int port = connection.localAddress().getPort();
        final AtomicBoolean headSeen = new AtomicBoolean();
        final Flow<HttpRequest, HttpResponse, NotUsed> handler = Flow.of(HttpRequest.class)
            .map(request ->
            {
                headSeen.set(true);
                inFlight.incrementAndGet();
                return request.addAttribute(ApiRoutes.LOCAL_PORT, port);
            })
            .via(routes)
            .map(response ->
            {
                inFlight.decrementAndGet();
                return response;
            });
        final BidiFlow<HttpResponse, akka.util.ByteString, akka.util.ByteString, HttpRequest, NotUsed> stack = httpLayer
                .atop(BidiFlow.fromGraph(new RequestHeadGuard(guards.requestHeadTimeout(), headSeen::get, headTimeoutAnswer, () ->
                {
                    connections.headTimedOut();
                    LOG.info("http.connection_closed reason=request_head_timeout status=408 remote={} timeout_ms={}", connection.remoteAddress(),
                        guards.requestHeadTimeout().toMillis());
                })))
                .atop(BidiFlow.bidirectionalIdleTimeout(guards.idleTimeout()));
        final CompletionStage<Done> closed;
        try
        {
            closed = connection.handleWith(handler.join(stack).via(killSwitch.flow()).watchTermination((notUsed, done) -> done), materializer);
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

    /** No TLS: Akka's placebo, typed for the server layer (its inbound SessionBytes are the SslTlsInbound the layer takes). */
    @SuppressWarnings("unchecked")
    private static BidiFlow<TLSProtocol.SslTlsOutbound, akka.util.ByteString, akka.util.ByteString, TLSProtocol.SslTlsInbound, NotUsed> plainTcp()
    {
        return (BidiFlow<TLSProtocol.SslTlsOutbound, akka.util.ByteString, akka.util.ByteString, TLSProtocol.SslTlsInbound, NotUsed>)
            (BidiFlow<?, ?, ?, ?, ?>)TLSPlacebo.getInstance();
    }

    @Override
    public void close()
    {
        try
        {
            binding.unbind().toCompletableFuture().get(10, TimeUnit.SECONDS);
            // Requests in progress get up to DRAIN to be answered; then every connection is cut, idle ones included.
            final long deadline = System.nanoTime() + DRAIN.toNanos();
            while (inFlight.get() > 0 && System.nanoTime() < deadline)
            {
                Thread.sleep(20);
            }
            killSwitch.shutdown();
            final long closedBy = System.nanoTime() + Duration.ofSeconds(5).toNanos();
            while (connections.open() > 0 && System.nanoTime() < closedBy)
            {
                Thread.sleep(20);
            }
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
