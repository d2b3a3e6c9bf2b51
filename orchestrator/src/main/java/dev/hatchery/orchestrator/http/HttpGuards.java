package dev.hatchery.orchestrator.http;

import java.time.Duration;
import java.util.List;

import com.typesafe.config.Config;

/**
 * How the API keeps out what should not reach it: browsers led to it by a foreign name (DNS rebinding: the
 * Host header must name this service), anonymous callers where a token is demanded, and clients that hold
 * connections without using them.
 *
 * @param allowedHosts       names a request's Host may give besides the listening address (and, on loopback,
 *                           localhost, 127.0.0.1 and [::1]) with the listening port; a name here is accepted with
 *                           any port or none (a reverse proxy's public name); "*" accepts any Host
 * @param requireToken       refuse to start without a bearer token, even on loopback
 * @param maxConnections     connections served at once; more wait in the listen backlog until one closes
 * @param idleTimeout        a connection with no bytes either way this long is closed
 * @param requestHeadTimeout a new connection must have sent a whole request head within this, or it is closed
 * @param requestBodyTimeout a request's announced body must arrive in full within this, or it is answered 408
 */
public record HttpGuards(List<String> allowedHosts, boolean requireToken, int maxConnections, Duration idleTimeout,
                         Duration requestHeadTimeout, Duration requestBodyTimeout)
{
    public static final String ANY_HOST = "*";

    /** What application.conf ships with (the tests' starting point). */
    public static final HttpGuards DEFAULTS = new HttpGuards(List.of(), false, 256, Duration.ofSeconds(60), Duration.ofSeconds(10),
        Duration.ofSeconds(10));

    public HttpGuards
    {
        allowedHosts = List.copyOf(allowedHosts);
    }

    static HttpGuards fromConfig(final Config config)
    {
        return new HttpGuards(config.getStringList("hatchery.http.allowed-hosts"), config.getBoolean("hatchery.http.require-token"),
            config.getInt("hatchery.http.max-connections"), config.getDuration("hatchery.http.idle-timeout"),
            config.getDuration("hatchery.http.request-head-timeout"), config.getDuration("hatchery.http.request-body-timeout"));
    }

    public HttpGuards withAllowedHosts(final List<String> names)
    {
        return new HttpGuards(names, requireToken, maxConnections, idleTimeout, requestHeadTimeout, requestBodyTimeout);
    }

    public HttpGuards withConnections(final int max, final Duration idle, final Duration requestHead)
    {
        return new HttpGuards(allowedHosts, requireToken, max, idle, requestHead, requestBodyTimeout);
    }

    public HttpGuards withRequestBodyTimeout(final Duration timeout)
    {
        return new HttpGuards(allowedHosts, requireToken, maxConnections, idleTimeout, requestHeadTimeout, timeout);
    }

    public HttpGuards withRequireToken(final boolean required)
    {
        return new HttpGuards(allowedHosts, required, maxConnections, idleTimeout, requestHeadTimeout, requestBodyTimeout);
    }

    boolean acceptsAnyHost()
    {
        return allowedHosts.contains(ANY_HOST);
    }

    void validate()
    {
        if (maxConnections < 1)
        {
            throw new IllegalArgumentException("invalid hatchery.http.max-connections=" + maxConnections + ": must be at least 1");
        }
        if (idleTimeout.isNegative() || idleTimeout.isZero())
        {
            throw new IllegalArgumentException("invalid hatchery.http.idle-timeout=" + idleTimeout + ": must be positive (e.g. 60s)");
        }
        if (requestHeadTimeout.isNegative() || requestHeadTimeout.isZero())
        {
            throw new IllegalArgumentException("invalid hatchery.http.request-head-timeout=" + requestHeadTimeout + ": must be positive (e.g. 10s)");
        }
        if (requestBodyTimeout.isNegative() || requestBodyTimeout.isZero())
        {
            throw new IllegalArgumentException("invalid hatchery.http.request-body-timeout=" + requestBodyTimeout + ": must be positive (e.g. 10s)");
        }
        for (final String name : allowedHosts)
        {
            if (!name.equals(ANY_HOST) && !HostCheck.isName(name))
            {
                throw new IllegalArgumentException("invalid entry in hatchery.http.allowed-hosts: '" + name
                    + "': give a host name or address without scheme, port or path (e.g. hatchery.example.com, 10.0.0.5, [fd00::5]), or \"*\"");
            }
        }
    }
}
