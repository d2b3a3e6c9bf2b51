package dev.hatchery.orchestrator.http;

import java.time.Duration;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

import akka.http.javadsl.model.ContentTypes;
import akka.http.javadsl.model.HttpResponse;
import akka.http.javadsl.model.StatusCodes;
import akka.http.javadsl.model.headers.Location;
import akka.http.javadsl.model.headers.RawHeader;
import akka.http.javadsl.server.AllDirectives;
import akka.http.javadsl.server.PathMatchers;
import akka.http.javadsl.server.Route;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.hatchery.config.FunctionMailbox;
import dev.hatchery.orchestrator.Refusal;
import dev.hatchery.orchestrator.RefusedException;
import dev.hatchery.orchestrator.function.DeploymentStatus;
import dev.hatchery.orchestrator.function.FunctionDeployment;
import dev.hatchery.orchestrator.function.FunctionInfo;
import dev.hatchery.orchestrator.function.FunctionNotFoundException;
import dev.hatchery.orchestrator.function.FunctionService;
import dev.hatchery.orchestrator.function.Invocation;
import dev.hatchery.orchestrator.function.TooManyFunctionsException;

/**
 * {@code /v1/functions}: deploy a function (its handler executable as the body of a PUT), list, read and delete them,
 * and invoke one ({@code POST .../invocations}: the body is the request, the response's body the handler's stdout).
 * Bodies here are bytes of any type; their limits are the handler limit and each function's payload limit.
 */
final class FunctionRoutes extends AllDirectives
{
    /** How long a deploy may take beyond the template's boot timeout, and an invocation beyond its function's timeout. */
    private static final Duration MARGIN = Duration.ofSeconds(30);
    private static final Duration DEPLOY_WAIT = Duration.ofSeconds(90);

    private final FunctionService functions;
    private final HttpSettings settings;
    private final ApiRoutes api;

    FunctionRoutes(final FunctionService functions, final HttpSettings settings, final ApiRoutes api)
    {
        this.functions = functions;
        this.settings = settings;
        this.api = api;
    }

    Route routes()
    {
        return concat(
            pathEnd(() -> get(() -> complete(ApiRoutes.json(StatusCodes.OK, list())))),
            pathPrefix(PathMatchers.segment(), name -> concat(
                pathEnd(() -> concat(
                    get(() -> complete(ApiRoutes.json(StatusCodes.OK, view(found(name))))),
                    put(() -> deploy(name)),
                    delete(() ->
                    {
                        checked(name);
                        if (!functions.delete(name))
                        {
                            throw notFound(name);
                        }
                        return complete(HttpResponse.create().withStatus(StatusCodes.NO_CONTENT));
                    }))),
                path("invocations", () -> post(() -> invoke(name))),
                path("deployment", () -> get(() ->
                {
                    checked(name);
                    return complete(ApiRoutes.json(StatusCodes.OK, deploymentView(functions.deployment(name).orElseThrow(() ->
                        new ProblemException(Problem.notFound("no deploy of function " + name + " is known to this process (none was made"
                            + " since it started, or the function was deleted since)"))))));
                })))));
    }

    private Route deploy(final String name)
    {
        checked(name);
        return parameterOptional("memMib", memMib -> parameterOptional("timeoutMs", timeoutMs -> parameterOptional("payloadLimitBytes",
            payloadLimit -> api.withBytes(FunctionDeployment.MAX_HANDLER_BYTES, "the handler limit", handler ->
            {
                final boolean existed = functions.get(name).isPresent();
                final FunctionDeployment deployment = new FunctionDeployment(name, handler,
                    number(memMib, "memMib", FunctionDeployment.DEFAULT_MEM_MIB),
                    Duration.ofMillis(number(timeoutMs, "timeoutMs", (int)FunctionDeployment.DEFAULT_TIMEOUT.toMillis())),
                    number(payloadLimit, "payloadLimitBytes", FunctionMailbox.DEFAULT_CAPACITY));
                // A template boot can outlast the connection's idle timeout: past the wait the deploy goes on and is answered 202,
                // its status to poll at Location.
                final CompletionStage<HttpResponse> answer = functions.deploy(deployment).thenApply(info ->
                    Optional.of(ApiRoutes.json(existed ? StatusCodes.OK : StatusCodes.CREATED, view(info))
                        .addHeader(Location.create("/v1/functions/" + name)))).toCompletableFuture()
                    .completeOnTimeout(Optional.empty(), api.waitMillisBeforeIdleTimeout(DEPLOY_WAIT), TimeUnit.MILLISECONDS)
                    .thenApply(done -> done.orElseGet(() -> accepted(name)));
                return withRequestTimeout(scala.concurrent.duration.Duration.fromNanos(DEPLOY_WAIT.plus(MARGIN).toNanos()),
                    () -> api.respond(answer.exceptionally(this::tooManyOr)));
            }))));
    }

    /** 202: the deploy goes on; its status (and then the function) at Location. */
    private HttpResponse accepted(final String name)
    {
        final Optional<DeploymentStatus> status = functions.deployment(name);
        final ObjectNode body = status.map(FunctionRoutes::deploymentView).orElseGet(() -> Json.MAPPER.createObjectNode().put("name", name));
        return ApiRoutes.json(StatusCodes.ACCEPTED, body).addHeader(Location.create("/v1/functions/" + name + "/deployment"));
    }

    static ObjectNode deploymentView(final DeploymentStatus status)
    {
        final ObjectNode view = Json.MAPPER.createObjectNode();
        view.put("name", status.name());
        view.put("state", status.state().name().toLowerCase(Locale.ROOT));
        view.put("startedAt", status.startedAt().toString());
        if (status.endedAt() != null)
        {
            view.put("endedAt", status.endedAt().toString());
        }
        if (status.detail() != null)
        {
            view.put("detail", status.detail());
        }
        if (status.function() != null)
        {
            view.set("function", view(status.function()));
        }
        view.putObject("links").put("self", "/v1/functions/" + status.name() + "/deployment");
        return view;
    }

    private Route invoke(final String name)
    {
        final FunctionInfo function = found(name);
        return api.withBytes(function.payloadLimit(), "the function's payload limit, payloadLimitBytes", request ->
        {
            final CompletionStage<HttpResponse> answer = functions.invoke(name, request).thenApply(FunctionRoutes::answer);
            final Duration wait = Duration.ofMillis(function.timeoutMs()).plus(MARGIN);
            return withRequestTimeout(scala.concurrent.duration.Duration.fromNanos(wait.toNanos()), () -> api.respond(answer
                .exceptionally(error -> tooManyOr(error))));
        });
    }

    /** 429 for a deploy or an invocation refused as too many: their own words, not the batch wording of other 429s. */
    private HttpResponse tooManyOr(final Throwable error)
    {
        final Throwable cause = error instanceof java.util.concurrent.CompletionException && error.getCause() != null ? error.getCause() : error;
        if (cause instanceof TooManyFunctionsException full)
        {
            return Problem.tooManyFunctions(full.getMessage()).toResponse(null);
        }
        if (cause instanceof RefusedException refused && refused.refusal().kind() == Refusal.Kind.TOO_MANY)
        {
            return Problem.tooManyInvocations(refused.getMessage(), settings.retryAfter()).toResponse(null);
        }
        if (cause instanceof FunctionNotFoundException missing)
        {
            return Problem.notFound(missing.getMessage()).toResponse(null);
        }
        throw error instanceof RuntimeException runtime ? runtime : new java.util.concurrent.CompletionException(error);
    }

    /** 200 with the response bytes; 502 or 504 as a problem that carries the handler's end and stderr tail. */
    private static HttpResponse answer(final Invocation invocation)
    {
        final RawHeader timing = RawHeader.create("Server-Timing", serverTiming(invocation.timings()));
        final RawHeader vm = RawHeader.create("Hatchery-Vm", invocation.vmId());
        if (invocation.succeeded())
        {
            return HttpResponse.create().withStatus(StatusCodes.OK)
                .withEntity(ContentTypes.APPLICATION_OCTET_STREAM, invocation.response()).addHeader(timing).addHeader(vm);
        }
        final ObjectNode extensions = Json.MAPPER.createObjectNode();
        extensions.put("function", invocation.function());
        extensions.put("vm", invocation.vmId());
        extensions.put("outcome", invocation.status().name().toLowerCase(Locale.ROOT));
        if (invocation.exitStatus() != null)
        {
            extensions.put("exitStatus", invocation.exitStatus());
        }
        extensions.put("stderr", new String(invocation.stderrTail(), java.nio.charset.StandardCharsets.UTF_8));
        final String detail = "function " + invocation.function() + ": " + invocation.detail();
        final Problem problem = switch (invocation.status())
        {
            case TIMED_OUT -> Problem.functionTimeout(detail, extensions);
            case VM_FAILED -> Problem.cloneFailed(detail, extensions);
            default -> Problem.handlerFailed(detail, extensions);
        };
        return problem.toResponse("/v1/functions/" + invocation.function() + "/invocations").addHeader(timing).addHeader(vm);
    }

    /** The phases as a Server-Timing header (W3C): clone, run, collect and queue, in milliseconds. */
    static String serverTiming(final Invocation.Timings timings)
    {
        final StringBuilder sb = new StringBuilder();
        phase(sb, "queue", timings.queueMs());
        phase(sb, "clone", timings.cloneMs());
        phase(sb, "run", timings.runMs());
        phase(sb, "collect", timings.collectMs());
        phase(sb, "total", timings.totalMs());
        return sb.toString();
    }

    private static void phase(final StringBuilder sb, final String name, final double millis)
    {
        if (millis < 0)
        {
            return;
        }
        if (sb.length() > 0)
        {
            sb.append(", ");
        }
        sb.append(name).append(";dur=").append(String.format(Locale.ROOT, "%.3f", millis));
    }

    private static int number(final Optional<String> value, final String field, final int fallback)
    {
        if (value.isEmpty())
        {
            return fallback;
        }
        try
        {
            return Integer.parseInt(value.get().trim());
        }
        catch (final NumberFormatException ex)
        {
            throw new ProblemException(Problem.badRequest(field, field + " must be a whole number, got '"
                + (value.get().length() > 40 ? value.get().substring(0, 40) : value.get()) + "'"));
        }
    }

    private ArrayNode list()
    {
        final ArrayNode list = Json.MAPPER.createArrayNode();
        functions.list().forEach(info -> list.add(view(info)));
        return list;
    }

    private FunctionInfo found(final String name)
    {
        checked(name);
        return functions.get(name).orElseThrow(() -> notFound(name));
    }

    private static void checked(final String name)
    {
        if (!FunctionDeployment.NAME.matcher(name).matches())
        {
            throw new ProblemException(Problem.badRequest("name", "function name '" + (name.length() > 80 ? name.substring(0, 80) + "..." : name)
                .replaceAll("\\p{Cntrl}", "?") + "' is not valid: use 1 to 63 lower-case letters, digits and dashes, starting with a letter or digit"));
        }
    }

    private static ProblemException notFound(final String name)
    {
        return new ProblemException(Problem.notFound(new FunctionNotFoundException(name).getMessage()));
    }

    static ObjectNode view(final FunctionInfo info)
    {
        final ObjectNode view = Json.MAPPER.createObjectNode();
        view.put("name", info.name());
        view.put("handlerSha256", info.handlerSha256());
        view.put("handlerBytes", info.handlerBytes());
        view.put("memMib", info.memMib());
        view.put("timeoutMs", info.timeoutMs());
        view.put("payloadLimitBytes", info.payloadLimit());
        view.put("deployedAt", info.deployedAt().toString());
        view.put("ready", info.ready());
        final ObjectNode links = view.putObject("links");
        links.put("self", "/v1/functions/" + info.name());
        links.put("invocations", "/v1/functions/" + info.name() + "/invocations");
        return view;
    }
}
