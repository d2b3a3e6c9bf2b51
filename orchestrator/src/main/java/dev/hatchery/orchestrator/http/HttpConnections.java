package dev.hatchery.orchestrator.http;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/** The server's connections, counted for /metrics: open now, accepted, and closed by a guard. */
final class HttpConnections
{
    private final AtomicInteger open = new AtomicInteger();
    private final LongAdder accepted = new LongAdder();
    private final LongAdder headTimeouts = new LongAdder();

    void opened()
    {
        open.incrementAndGet();
        accepted.increment();
    }

    void closed()
    {
        open.decrementAndGet();
    }

    void headTimedOut()
    {
        headTimeouts.increment();
    }

    int open()
    {
        return open.get();
    }

    /** Appends the connection metrics in the Prometheus text format. */
    void render(final StringBuilder sb, final int maxConnections)
    {
        sb.append("# HELP hatchery_http_connections_open HTTP connections open now (this request's included).\n");
        sb.append("# TYPE hatchery_http_connections_open gauge\n");
        sb.append("hatchery_http_connections_open ").append(open.get()).append('\n');
        sb.append("# HELP hatchery_http_connections_max HTTP connections served at once (hatchery.http.max-connections).\n");
        sb.append("# TYPE hatchery_http_connections_max gauge\n");
        sb.append("hatchery_http_connections_max ").append(maxConnections).append('\n');
        sb.append("# HELP hatchery_http_connections_accepted_total HTTP connections accepted since the server started.\n");
        sb.append("# TYPE hatchery_http_connections_accepted_total counter\n");
        sb.append("hatchery_http_connections_accepted_total ").append(accepted.sum()).append('\n');
        sb.append("# HELP hatchery_http_request_head_timeouts_total Connections answered 408 and closed because no whole request head came in time"
            + " (hatchery.http.request-head-timeout).\n");
        sb.append("# TYPE hatchery_http_request_head_timeouts_total counter\n");
        sb.append("hatchery_http_request_head_timeouts_total ").append(headTimeouts.sum()).append('\n');
    }
}
