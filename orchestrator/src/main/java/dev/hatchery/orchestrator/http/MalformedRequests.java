package dev.hatchery.orchestrator.http;

import akka.event.LoggingAdapter;
import akka.http.ParsingErrorHandler;
import akka.http.javadsl.model.HttpResponse;
import akka.http.scaladsl.model.ErrorInfo;
import akka.http.scaladsl.model.StatusCode;
import akka.http.scaladsl.settings.ServerSettings;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Answers a request the server cannot parse (bad request line or header, URI or headers too long) with a
 * problem document like every other error, instead of Akka's plain-text default. Such a request never
 * reaches the routes, so there is no path to name as {@code instance}.
 * Public with a no-argument constructor: Akka creates it by class name ({@link HttpServer} names it).
 */
public final class MalformedRequests extends ParsingErrorHandler
{
    private static final Logger LOG = LoggerFactory.getLogger(MalformedRequests.class);

    @Override
    public HttpResponse handle(final StatusCode status, final ErrorInfo error, final LoggingAdapter log, final ServerSettings settings)
    {
        // The summary names what was wrong without echoing the request back; the detail may quote it.
        LOG.info("http.malformed status={} error=\"{}\"", status.intValue(), error.summary());
        final String detail = settings.verboseErrorMessages() ? error.formatPretty() : error.summary();
        // The parser answers an unknown method 501 and an unknown protocol version 505: both are the client's fault here
        // (the API serves GET, POST and DELETE over HTTP/1.x), so they are 400s that say so, not server errors.
        if (status.intValue() >= 500)
        {
            return Problem.malformed(akka.http.javadsl.model.StatusCodes.BAD_REQUEST, detail + " (this API serves GET, POST and DELETE over HTTP/1.1)")
                .toResponse(null);
        }
        return Problem.malformed(status, detail).toResponse(null);
    }
}
