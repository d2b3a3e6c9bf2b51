package dev.hatchery.orchestrator.http;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import java.util.function.Supplier;

import akka.NotUsed;
import akka.http.javadsl.marshalling.sse.EventStreamMarshalling;
import akka.http.javadsl.model.AttributeKey;
import akka.http.javadsl.model.ContentTypes;
import akka.http.javadsl.model.HttpEntity;
import akka.http.javadsl.model.HttpResponse;
import akka.http.javadsl.model.MediaTypes;
import akka.http.javadsl.model.StatusCode;
import akka.http.javadsl.model.StatusCodes;
import akka.http.javadsl.model.headers.Location;
import akka.http.javadsl.model.sse.ServerSentEvent;
import akka.http.javadsl.server.AllDirectives;
import akka.http.javadsl.server.ExceptionHandler;
import akka.http.javadsl.server.MethodRejection;
import akka.http.javadsl.server.PathMatchers;
import akka.http.javadsl.server.RejectionHandler;
import akka.http.javadsl.server.Route;
import akka.stream.BoundedSourceQueue;
import akka.stream.javadsl.Source;

import dev.hatchery.orchestrator.BatchHandle;
import dev.hatchery.orchestrator.BatchRequest;
import dev.hatchery.orchestrator.EventFeed;
import dev.hatchery.orchestrator.Refusal;
import dev.hatchery.orchestrator.RefusedException;
import dev.hatchery.orchestrator.RunningVm;
import dev.hatchery.orchestrator.VmEvent;
import dev.hatchery.orchestrator.VmService;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP API (see {@code openapi.json}): batches, single VMs, kernels, metrics, health. Every error,
 * whatever raised it, leaves through {@link #problemFor} as an RFC 7807 document.
 */
public final class ApiRoutes extends AllDirectives
{
    /** Every method and path the API serves; the OpenAPI document must list exactly these (a test checks it). */
    public static final List<String> ENDPOINTS = List.of(
        "GET /healthz", "GET /metrics", "GET /v1/openapi.json", "GET /v1/kernels", "GET /v1/cluster",
        "POST /v1/batches", "GET /v1/batches/{id}", "DELETE /v1/batches/{id}", "GET /v1/batches/{id}/events",
        "POST /v1/vms", "GET /v1/vms/{id}", "DELETE /v1/vms/{id}", "GET /v1/vms/{id}/console",
        "GET /v1/functions", "PUT /v1/functions/{name}", "GET /v1/functions/{name}", "POST /v1/functions/{name}/invocations",
        "GET /v1/functions/{name}/deployment", "DELETE /v1/functions/{name}");

    private static final Logger LOG = LoggerFactory.getLogger(ApiRoutes.class);
    private static final Duration HEARTBEAT = Duration.ofSeconds(10);
    private static final Duration WAIT_MARGIN = Duration.ofSeconds(30);
    /**
     * A waiting request is answered this long before the connection's idle timeout would close it. The idle clock runs
     * from the request's last byte, the wait from when the route took it: in a busy or emulated machine the first request
     * of a fresh JVM reached the route seconds later (a deploy's 202, 5 s before, came too late: the connection was reset).
     */
    private static final Duration IDLE_MARGIN = Duration.ofSeconds(15);
    private static final String ID = "[a-z0-9][a-z0-9-]{0,63}";

    /** The local port a request came in on, stamped by {@link HttpServer} per connection: the Host check compares with it. */
    static final AttributeKey<Integer> LOCAL_PORT = AttributeKey.create("hatchery-local-port", Integer.class);

    private final VmService service;
    private final HttpSettings settings;
    private final HostCheck hostCheck;
    private final HttpConnections connections;
    private final int maxBatchCount;
    private final int maxBatchConcurrency;
    private final byte[] openApi;

    ApiRoutes(final VmService service, final HttpSettings settings, final HostCheck hostCheck, final HttpConnections connections,
        final int maxBatchCount, final int maxBatchConcurrency)
    {
        this.service = service;
        this.settings = settings;
        this.hostCheck = hostCheck;
        this.connections = connections;
        this.maxBatchCount = maxBatchCount;
        this.maxBatchConcurrency = maxBatchConcurrency;
        this.openApi = loadOpenApi();
    }

    public Route routes()
    {
        // A request that runs past its request-timeout gets a problem too, not Akka's plain-text 503.
        return withRequestTimeoutResponse(this::timedOut, () -> handleExceptions(exceptions(), () -> handleRejections(rejections(), () -> hostChecked(() -> concat(
            path("healthz", () -> get(() -> complete(json(StatusCodes.OK, Json.MAPPER.createObjectNode().put("status", "ok"))))),
            authorized(() -> concat(
                path("metrics", () -> get(() -> complete(HttpResponse.create()
                    .withEntity(ContentTypes.TEXT_PLAIN_UTF8, metrics())))),
                pathPrefix("v1", () -> concat(
                    path("openapi.json", () -> get(() -> complete(HttpResponse.create()
                        .withEntity(ContentTypes.APPLICATION_JSON, openApi)))),
                    path("kernels", () -> get(() -> complete(json(StatusCodes.OK, Views.kernels(service.catalog()))))),
                    path("cluster", () -> get(() -> respond(service.cluster().thenApply(view -> json(StatusCodes.OK, Json.tree(view.orElseThrow(
                        () -> new ProblemException(Problem.notFound("this node runs alone: start it with ./hatchery serve --cluster --seed-nodes"
                            + " HOST:PORT,... to form a cluster (README \"Cluster\")"))))))))),
                    pathPrefix("batches", this::batchRoutes),
                    pathPrefix("vms", this::vmRoutes),
                    pathPrefix("functions", () -> new FunctionRoutes(service.functions(), settings, this).routes()))))))))));
    }

    private String metrics()
    {
        final StringBuilder sb = new StringBuilder(service.metrics().render());
        connections.render(sb, settings.guards().maxConnections());
        return sb.toString();
    }

    /** Refuses a request whose Host does not name this service (see {@link HostCheck}): 400 without one, 421 for another name. */
    private Route hostChecked(final Supplier<Route> inner)
    {
        return optionalAttribute(LOCAL_PORT, port -> optionalHeaderValueByName("Host", host ->
        {
            final Optional<String> refusal = hostCheck.refusal(host, port.orElse(settings.port()));
            if (refusal.isPresent())
            {
                throw new ProblemException(host.isEmpty() || host.get().isBlank() ? Problem.badRequest("Host", refusal.get())
                    : Problem.misdirected(refusal.get()));
            }
            return inner.get();
        }));
    }

    private HttpResponse timedOut(final akka.http.javadsl.model.HttpRequest request)
    {
        return answer(Problem.busy("the service did not answer in time (a VM that waits for boot waits its boot timeout + "
            + WAIT_MARGIN.toSeconds() + " s, other requests akka.http.server.request-timeout)", settings.retryAfter()), request.getUri().path());
    }

    private Route batchRoutes()
    {
        return concat(
            pathEnd(() -> post(() -> withBody(body ->
            {
                final BatchRequest request = RequestBodies.batch(body, service.catalog(), maxBatchCount, maxBatchConcurrency);
                return respond(service.submit(request).thenApply(handle ->
                    json(StatusCodes.ACCEPTED, Views.batch(handle)).addHeader(Location.create("/v1/batches/" + handle.id()))));
            }))),
            pathPrefix(PathMatchers.segment(), id -> concat(
                pathEnd(() -> concat(
                    get(() -> complete(json(StatusCodes.OK, Views.batch(batch(id))))),
                    delete(() ->
                    {
                        final BatchHandle handle = batch(id);
                        service.cancel(id);
                        return complete(json(StatusCodes.ACCEPTED, Views.batch(handle)));
                    }))),
                path("events", () -> get(() -> optionalHeaderValueByName("Last-Event-ID",
                    lastId -> events(batch(id), lastId)))))));
    }

    private Route vmRoutes()
    {
        return concat(
            pathEnd(() -> post(() -> parameterOptional("placed", placed -> withBody(body ->
            {
                final RequestBodies.VmBody vm = RequestBodies.vm(body, service.catalog());
                final Duration limit = vm.request().spec().bootTimeout().plus(WAIT_MARGIN);
                // No byte flows while a request waits: a wait as long as the connection's idle timeout would be cut with no
                // reply at all. Past this, the VM's view is answered 202 (still starting) and the client polls Location.
                final long waitMillis = waitMillisBeforeIdleTimeout(limit);
                // ?placed=NODE: another cluster member already chose this node; it stays here rather than bounce.
                final CompletionStage<HttpResponse> answer = (placed.isPresent() ? service.submitVmHere(vm.request())
                    : service.submitVm(vm.request()))
                    .thenCompose(running -> waited(running, vm.waitForBoot(), waitMillis)
                        .thenApply(reached -> json(reached ? StatusCodes.CREATED : StatusCodes.ACCEPTED, Views.vm(running, running.snapshot()))
                            .addHeader(Location.create("/v1/vms/" + running.id()))));
                return withRequestTimeout(scala.concurrent.duration.Duration.fromNanos(limit.toNanos()), () -> respond(redirectWhenPlacedElsewhere(answer)));
            })))),
            pathPrefix(PathMatchers.segment(), id -> concat(
                pathEnd(() -> concat(
                    get(() ->
                    {
                        final RunningVm vm = vm(id);
                        return respond(vm.inspect().thenApply(snapshot -> json(StatusCodes.OK, Views.vm(vm, snapshot))));
                    }),
                    delete(() ->
                    {
                        final RunningVm vm = vm(id);
                        service.stopVm(id);
                        return complete(json(StatusCodes.ACCEPTED, Views.vm(vm, vm.snapshot())));
                    }))),
                path("console", () -> get(() -> respond(vm(id).inspect().thenApply(snapshot -> HttpResponse.create()
                    .withEntity(ContentTypes.TEXT_PLAIN_UTF8, snapshot.console()))))))));
    }

    /**
     * How long a request may wait for its answer, {@code limit} at most: it ends {@link #IDLE_MARGIN} before the connection's
     * idle timeout would cut it with no reply at all (no byte flows while it waits), and lasts at least a second.
     */
    long waitMillisBeforeIdleTimeout(final Duration limit)
    {
        return Math.max(1_000, Math.min(limit.toMillis(), settings.guards().idleTimeout().minus(IDLE_MARGIN).toMillis()));
    }

    /** Whether the VM booted or ended within the wait (false at once when the request does not wait). */
    private static CompletableFuture<Boolean> waited(final RunningVm running, final boolean waitForBoot, final long waitMillis)
    {
        if (!waitForBoot)
        {
            return CompletableFuture.completedFuture(false);
        }
        return running.bootedOrEnded().toCompletableFuture().thenApply(reached -> true)
            .completeOnTimeout(false, waitMillis, java.util.concurrent.TimeUnit.MILLISECONDS);
    }

    /** In a cluster, a VM placed on another node is answered 307 to that node's {@code POST /v1/vms} (same method and body). */
    private static CompletionStage<HttpResponse> redirectWhenPlacedElsewhere(final CompletionStage<HttpResponse> answer)
    {
        return answer.handle((response, error) ->
        {
            final Throwable cause = error instanceof java.util.concurrent.CompletionException && error.getCause() != null ? error.getCause() : error;
            if (cause instanceof dev.hatchery.orchestrator.PlacedElsewhereException elsewhere)
            {
                return json(StatusCodes.TEMPORARY_REDIRECT, Json.MAPPER.createObjectNode().put("node", elsewhere.node())
                    .put("detail", elsewhere.getMessage())).addHeader(Location.create(elsewhere.url()));
            }
            if (error != null)
            {
                throw error instanceof java.util.concurrent.CompletionException completion ? completion
                    : new java.util.concurrent.CompletionException(error);
            }
            return response;
        });
    }

    /** Server-sent events: one {@code vm} event per VM as it ends, then {@code done}; resumes after Last-Event-ID. */
    private Route events(final BatchHandle handle, final Optional<String> lastEventId)
    {
        final long after = lastEventId.map(ApiRoutes::parseEventId).orElse(0L);
        // BoundedSourceQueue: offers are synchronous and thread-safe, so a replay burst cannot trip it; it holds
        // every event of the batch, so none is dropped for a slow client.
        final Source<ServerSentEvent, NotUsed> source = Source.<ServerSentEvent>queue(handle.request().count() + 2)
            .mapMaterializedValue(queue -> follow(handle, after, queue))
            .watchTermination((subscription, done) ->
            {
                // A client that goes away ends the stream; stop feeding it.
                done.whenComplete((ok, error) -> subscription.cancel());
                return NotUsed.notUsed();
            })
            .keepAlive(HEARTBEAT, ServerSentEvent::heartbeat);
        return completeOK(source, EventStreamMarshalling.toEventStream());
    }

    private static EventFeed.Subscription follow(final BatchHandle handle, final long after, final BoundedSourceQueue<ServerSentEvent> queue)
    {
        return handle.events().subscribe(
            event ->
            {
                if (event.sequence() > after)
                {
                    queue.offer(ServerSentEvent.create(Views.event(event).toString(), "vm", Long.toString(event.sequence())));
                }
            },
            () ->
            {
                queue.offer(ServerSentEvent.create(Views.done(handle).toString(), "done"));
                queue.complete();
            });
    }

    private static long parseEventId(final String id)
    {
        try
        {
            return Long.parseLong(id.trim());
        }
        catch (final NumberFormatException ex)
        {
            throw new ProblemException(Problem.badRequest("Last-Event-ID", "Last-Event-ID must be an event id (a number), got '"
                + (id.length() > 40 ? id.substring(0, 40) : id) + "'"));
        }
    }

    private BatchHandle batch(final String id)
    {
        return (id.matches(ID) ? service.batch(id) : Optional.<BatchHandle>empty())
            .orElseThrow(() -> new ProblemException(Problem.notFound("no batch with id '" + shorten(id) + "'")));
    }

    private RunningVm vm(final String id)
    {
        return (id.matches(ID) ? service.vm(id) : Optional.<RunningVm>empty())
            .orElseThrow(() -> new ProblemException(Problem.notFound("no VM with id '" + shorten(id) + "'")));
    }

    /** Reads the whole body, at most max-body-bytes of JSON, then hands it on. */
    private Route withBody(final Function<byte[], Route> inner)
    {
        return extractRequestEntity(entity ->
        {
            if (!entity.isKnownEmpty() && !entity.getContentType().mediaType().equals(MediaTypes.APPLICATION_JSON))
            {
                throw new ProblemException(Problem.unsupportedMediaType("send the body as Content-Type: application/json, got "
                    + entity.getContentType()));
            }
            return strictBody(settings.maxBodyBytes(), () -> Problem.tooLarge(settings.maxBodyBytes()), inner);
        });
    }

    /**
     * Reads the whole body, of any type, at most {@code limit} bytes ({@code what} names that limit in the 413), then
     * hands it on: function handlers and invocation requests.
     */
    Route withBytes(final long limit, final String what, final Function<byte[], Route> inner)
    {
        return strictBody(limit, () -> Problem.tooLarge(limit, what), inner);
    }

    /** The body, read whole within the request-body timeout and at most {@code limit} bytes (else {@code tooLarge}). */
    private Route strictBody(final long limit, final Supplier<Problem> tooLarge, final Function<byte[], Route> inner)
    {
        return extractRequestEntity(entity -> extractMaterializer(materializer ->
        {
            final CompletionStage<HttpEntity.Strict> strict = entity.withSizeLimit(limit).toStrict(settings.guards().requestBodyTimeout().toMillis(),
                materializer);
            return onComplete(strict, result ->
            {
                if (result.isFailure() && result.failed().get() instanceof java.util.concurrent.TimeoutException)
                {
                    // The client announced a body and did not send it all: its fault (408), not a busy service (503).
                    throw new ProblemException(Problem.requestTimeout("the request body did not arrive within "
                        + settings.guards().requestBodyTimeout().toMillis() + " ms (hatchery.http.request-body-timeout): send the whole body with the request"));
                }
                if (result.isFailure() && result.failed().get() instanceof akka.http.scaladsl.model.EntityStreamSizeException)
                {
                    throw new ProblemException(tooLarge.get());
                }
                if (result.isFailure())
                {
                    throw result.failed().get() instanceof RuntimeException runtime ? runtime : new CompletionException(result.failed().get());
                }
                return inner.apply(result.get().getData().toArray());
            });
        }));
    }

    private Route authorized(final Supplier<Route> inner)
    {
        if (settings.token().isEmpty())
        {
            return inner.get();
        }
        final byte[] expected = ("Bearer " + settings.token().get()).getBytes(StandardCharsets.UTF_8);
        return optionalHeaderValueByName("Authorization", header ->
        {
            if (header.isEmpty())
            {
                throw new ProblemException(Problem.unauthorized("send Authorization: Bearer <token> (the token the service was started with)"));
            }
            // Constant-time comparison: the time taken says nothing about how much of the token matched.
            if (!MessageDigest.isEqual(expected, header.get().getBytes(StandardCharsets.UTF_8)))
            {
                throw new ProblemException(Problem.unauthorized("the bearer token is wrong"));
            }
            return inner.get();
        });
    }

    Route respond(final CompletionStage<HttpResponse> response)
    {
        return extractUri(uri -> completeWithFuture(response.exceptionally(error -> answer(problemFor(error), uri.path()))));
    }

    /** The one place where errors become HTTP statuses. */
    Problem problemFor(final Throwable error)
    {
        final Throwable cause = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
        if (cause instanceof ProblemException problem)
        {
            return problem.problem();
        }
        if (cause instanceof RefusedException refused)
        {
            final Refusal refusal = refused.refusal();
            return switch (refusal.kind())
            {
                case INVALID -> Problem.badRequest(refusal.field(), refusal.message());
                case BUSY -> Problem.busy(refusal.message(), settings.retryAfter());
                case TOO_MANY -> Problem.tooMany(refusal.message(), settings.retryAfter());
            };
        }
        if (cause instanceof dev.hatchery.orchestrator.function.FunctionNotFoundException missing)
        {
            return Problem.notFound(missing.getMessage());
        }
        if (cause instanceof akka.http.scaladsl.model.EntityStreamSizeException)
        {
            return Problem.tooLarge(settings.maxBodyBytes());
        }
        if (cause instanceof akka.http.scaladsl.model.EntityStreamException broken)
        {
            // The body's framing is broken (bad chunk sizes, a body cut short): the client's fault, like a bad head.
            return Problem.malformed(StatusCodes.BAD_REQUEST, "the request body could not be read: " + broken.getMessage());
        }
        if (cause instanceof java.util.concurrent.TimeoutException)
        {
            return Problem.busy("the service did not answer in time: " + cause.getMessage(), settings.retryAfter());
        }
        LOG.error("http.error error=\"{}\"", cause.toString(), cause);
        return Problem.internal(cause.getClass().getSimpleName() + ": " + cause.getMessage());
    }

    private static HttpResponse answer(final Problem problem, final String path)
    {
        if (problem.status().intValue() >= 500 || problem.status().intValue() == 429 || problem.status().intValue() == 401)
        {
            LOG.info("http.problem status={} path={} detail=\"{}\"", problem.status().intValue(), path, problem.detail());
        }
        return problem.toResponse(path);
    }

    private ExceptionHandler exceptions()
    {
        return ExceptionHandler.newBuilder()
            .matchAny(error -> extractUri(uri -> complete(answer(problemFor(error), uri.path()))))
            .build();
    }

    private RejectionHandler rejections()
    {
        return RejectionHandler.newBuilder()
            .handleAll(MethodRejection.class, rejected -> extractUri(uri -> complete(answer(Problem.methodNotAllowed(
                rejected.stream().map(r -> r.supported().name()).distinct().toList()), uri.path()))))
            .handle(akka.http.javadsl.server.MalformedRequestContentRejection.class, rejected -> extractUri(uri -> complete(answer(
                problemFor(rejected.getCause()), uri.path()))))
            .handleNotFound(extractUri(uri -> complete(answer(Problem.notFound("no resource at " + shorten(uri.path())
                + "; see /v1/openapi.json"), uri.path()))))
            .handle(akka.http.javadsl.server.Rejection.class, rejected -> extractUri(uri -> complete(answer(
                Problem.badRequest(null, "request rejected: " + rejected), uri.path()))))
            .build();
    }

    static HttpResponse json(final StatusCode status, final Object body)
    {
        return HttpResponse.create().withStatus(status).withEntity(ContentTypes.APPLICATION_JSON, Json.bytes(body));
    }

    private static String shorten(final String text)
    {
        final String shown = text.length() > 80 ? text.substring(0, 80) + "..." : text;
        return shown.replaceAll("\\p{Cntrl}", "?");
    }

    private static byte[] loadOpenApi()
    {
        try (InputStream in = ApiRoutes.class.getResourceAsStream("openapi.json"))
        {
            if (in == null)
            {
                throw new IllegalStateException("openapi.json is missing from the jar (dev/hatchery/orchestrator/http/openapi.json)");
            }
            return in.readAllBytes();
        }
        catch (final IOException ex)
        {
            throw new IllegalStateException("cannot read openapi.json: " + ex.getMessage(), ex);
        }
    }
}
