package dev.hatchery.orchestrator.http;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import akka.http.javadsl.model.ContentType;
import akka.http.javadsl.model.ContentTypes;
import akka.http.javadsl.model.HttpCharsets;
import akka.http.javadsl.model.HttpHeader;
import akka.http.javadsl.model.HttpResponse;
import akka.http.javadsl.model.MediaTypes;
import akka.http.javadsl.model.StatusCode;
import akka.http.javadsl.model.StatusCodes;
import akka.http.javadsl.model.headers.RawHeader;

import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * An RFC 7807 problem document ({@code application/problem+json}): what went wrong ({@code title},
 * {@code detail}), which request field ({@code field}, when one is at fault), and the status. The one
 * place where errors become HTTP responses.
 */
public record Problem(StatusCode status, String slug, String title, String detail, String field, List<HttpHeader> headers,
                      ObjectNode extensions)
{
    /** A problem with no members beyond the standard ones and {@code field}. */
    public Problem(final StatusCode status, final String slug, final String title, final String detail, final String field,
        final List<HttpHeader> headers)
    {
        this(status, slug, title, detail, field, headers, null);
    }

    /** A function's handler failed (502): {@code extensions} carries its exit status or signal and its stderr tail. */
    public static Problem handlerFailed(final String detail, final ObjectNode extensions)
    {
        return new Problem(StatusCodes.BAD_GATEWAY, "function-failed", "The function failed", detail, null, List.of(), extensions);
    }

    /** A function's clone could not run it or broke down (502). */
    public static Problem cloneFailed(final String detail, final ObjectNode extensions)
    {
        return new Problem(StatusCodes.BAD_GATEWAY, "clone-failed", "The function's VM failed", detail, null, List.of(), extensions);
    }

    /** A function did not reply within its timeout (504). */
    public static Problem functionTimeout(final String detail, final ObjectNode extensions)
    {
        return new Problem(StatusCodes.GATEWAY_TIMEOUT, "function-timeout", "The function did not reply in time", detail, null, List.of(),
            extensions);
    }

    /** As many functions are deployed as the service keeps (429, no Retry-After: waiting does not help, deleting does). */
    public static Problem tooManyFunctions(final String detail)
    {
        return new Problem(StatusCodes.TOO_MANY_REQUESTS, "too-many-functions", "Too many functions are deployed", detail, null, List.of());
    }

    /** Too many invocations are running (429). */
    public static Problem tooManyInvocations(final String detail, final Duration retryAfter)
    {
        return new Problem(StatusCodes.TOO_MANY_REQUESTS, "too-many-invocations", "Too many invocations are running", detail, null,
            List.of(retryAfter(retryAfter)));
    }

    /** A body over a limit other than hatchery.http.max-body-bytes: {@code what} names that limit. */
    public static Problem tooLarge(final long limit, final String what)
    {
        return new Problem(StatusCodes.PAYLOAD_TOO_LARGE, "body-too-large", "The request body is too large",
            "the body is limited to " + limit + " bytes (" + what + ")", null, List.of());
    }

    public static final ContentType PROBLEM_JSON = ContentTypes.create(
        MediaTypes.applicationWithFixedCharset("problem+json", HttpCharsets.UTF_8, "json"));

    public static Problem badRequest(final String field, final String detail)
    {
        return new Problem(StatusCodes.BAD_REQUEST, "invalid-request", "The request is not valid", detail, field, List.of());
    }

    public static Problem notFound(final String detail)
    {
        return new Problem(StatusCodes.NOT_FOUND, "not-found", "No such resource", detail, null, List.of());
    }

    public static Problem busy(final String detail, final Duration retryAfter)
    {
        return new Problem(StatusCodes.SERVICE_UNAVAILABLE, "at-capacity", "The service is at capacity", detail, null,
            List.of(retryAfter(retryAfter)));
    }

    public static Problem tooMany(final String detail, final Duration retryAfter)
    {
        return new Problem(StatusCodes.TOO_MANY_REQUESTS, "too-many-batches", "Too many batches are running", detail, null,
            List.of(retryAfter(retryAfter)));
    }

    public static Problem unauthorized(final String detail)
    {
        return new Problem(StatusCodes.UNAUTHORIZED, "unauthorized", "A valid bearer token is required", detail, null,
            List.of(RawHeader.create("WWW-Authenticate", "Bearer realm=\"hatchery\"")));
    }

    /** The request names another host than this service (its Host header): a browser led here by a foreign name. */
    public static Problem misdirected(final String detail)
    {
        return new Problem(StatusCodes.MISDIRECTED_REQUEST, "misdirected-request", "The request is not addressed to this service", detail,
            "Host", List.of());
    }

    /** No whole request head came within hatchery.http.request-head-timeout of connecting (408; the connection then closes). */
    public static Problem headTimeout(final String detail)
    {
        return new Problem(StatusCodes.REQUEST_TIMEOUT, "head-timeout", "The request head did not arrive in time", detail, null, List.of());
    }

    public static Problem requestTimeout(final String detail)
    {
        return new Problem(StatusCodes.REQUEST_TIMEOUT, "body-timeout", "The request body did not arrive in time", detail, null, List.of());
    }

    public static Problem tooLarge(final long limit)
    {
        return new Problem(StatusCodes.PAYLOAD_TOO_LARGE, "body-too-large", "The request body is too large",
            "request bodies are limited to " + limit + " bytes (hatchery.http.max-body-bytes)", null, List.of());
    }

    public static Problem methodNotAllowed(final List<String> allowed)
    {
        return new Problem(StatusCodes.METHOD_NOT_ALLOWED, "method-not-allowed", "Method not allowed",
            "this resource supports " + String.join(", ", allowed), null, List.of(RawHeader.create("Allow", String.join(", ", allowed))));
    }

    public static Problem unsupportedMediaType(final String detail)
    {
        return new Problem(StatusCodes.UNSUPPORTED_MEDIA_TYPE, "unsupported-media-type", "Send JSON", detail, null, List.of());
    }

    /** A request the server could not parse; {@code status} is what the parser chose (400, 414, 431, ...). */
    public static Problem malformed(final StatusCode status, final String detail)
    {
        return new Problem(status, "malformed-request", "The request could not be parsed", detail, null, List.of());
    }

    public static Problem internal(final String detail)
    {
        return new Problem(StatusCodes.INTERNAL_SERVER_ERROR, "internal-error", "Internal error", detail, null, List.of());
    }

    /** The response, {@code instance} being the request path the problem occurred at (null: none, the request was not parsed). */
    public HttpResponse toResponse(final String instance)
    {
        return HttpResponse.create().withStatus(status).withEntity(PROBLEM_JSON, body(instance)).addHeaders(new ArrayList<>(headers));
    }

    /**
     * The whole HTTP/1.1 response as bytes, closing the connection: for an answer written below the HTTP layer, where there
     * is no request to pair it with (no whole request head came).
     */
    public byte[] toClosingResponseBytes()
    {
        final byte[] body = body(null);
        final StringBuilder head = new StringBuilder().append("HTTP/1.1 ").append(status.intValue()).append(' ').append(status.reason())
            .append("\r\nContent-Type: application/problem+json").append("\r\nContent-Length: ").append(body.length)
            .append("\r\nConnection: close\r\n");
        headers.forEach(header -> head.append(header.name()).append(": ").append(header.value()).append("\r\n"));
        final byte[] headBytes = head.append("\r\n").toString().getBytes(java.nio.charset.StandardCharsets.ISO_8859_1);
        final byte[] all = java.util.Arrays.copyOf(headBytes, headBytes.length + body.length);
        System.arraycopy(body, 0, all, headBytes.length, body.length);
        return all;
    }

    private byte[] body(final String instance)
    {
        final ObjectNode body = Json.MAPPER.createObjectNode();
        body.put("type", "urn:hatchery:problem:" + slug);
        body.put("title", title);
        body.put("status", status.intValue());
        body.put("detail", detail);
        if (instance != null)
        {
            body.put("instance", instance);
        }
        if (field != null)
        {
            body.put("field", field);
        }
        if (extensions != null)
        {
            body.setAll(extensions);
        }
        return Json.bytes(body);
    }

    private static HttpHeader retryAfter(final Duration after)
    {
        return RawHeader.create("Retry-After", Long.toString(Math.max(1, after.toSeconds())));
    }

    @Override
    public String toString()
    {
        return status.intValue() + " " + slug + (field == null ? "" : " field=" + field) + ": " + detail;
    }
}
