package dev.hatchery.orchestrator.http;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;

import com.typesafe.config.Config;

/**
 * Where the API listens and how it guards itself. Listening anywhere but loopback needs a bearer token
 * ({@code hatchery.http.token} or the HATCHERY_TOKEN environment variable): the service creates VMs and
 * taps as root, so an open port on a network must not be anonymous.
 */
public record HttpSettings(String host, int port, Optional<String> token, long maxBodyBytes, Duration retryAfter, HttpGuards guards)
{
    public static final String TOKEN_ENV = "HATCHERY_TOKEN";
    /** Shorter tokens are refused: they are guessable. */
    public static final int MIN_TOKEN_LENGTH = 16;

    /** With the default guards (application.conf's). */
    public HttpSettings(final String host, final int port, final Optional<String> token, final long maxBodyBytes, final Duration retryAfter)
    {
        this(host, port, token, maxBodyBytes, retryAfter, HttpGuards.DEFAULTS);
    }

    /** Reads hatchery.http.*; the environment's HATCHERY_TOKEN wins over a token in the settings. */
    public static HttpSettings fromConfig(final Config config, final Map<String, String> env)
    {
        final String envToken = env.get(TOKEN_ENV);
        final String configToken = config.hasPath("hatchery.http.token") ? config.getString("hatchery.http.token") : "";
        final String token = envToken != null && !envToken.isEmpty() ? envToken : configToken;
        return new HttpSettings(config.getString("hatchery.http.host"), config.getInt("hatchery.http.port"),
            token.isEmpty() ? Optional.empty() : Optional.of(token), config.getBytes("hatchery.http.max-body-bytes"),
            config.getDuration("hatchery.http.retry-after"), HttpGuards.fromConfig(config));
    }

    public HttpSettings withAddress(final String newHost, final int newPort)
    {
        return new HttpSettings(newHost, newPort, token, maxBodyBytes, retryAfter, guards);
    }

    public HttpSettings withGuards(final HttpGuards newGuards)
    {
        return new HttpSettings(host, port, token, maxBodyBytes, retryAfter, newGuards);
    }

    /** Refuses settings that would expose the API without a token, or that cannot work; says what to change. */
    public HttpSettings validate()
    {
        if (port < 0 || port > 65535)
        {
            throw new IllegalArgumentException("invalid port: port=" + port + ": must be between 0 and 65535 (0 picks a free port)");
        }
        if (maxBodyBytes < 1024)
        {
            throw new IllegalArgumentException("invalid hatchery.http.max-body-bytes=" + maxBodyBytes + ": must be at least 1024");
        }
        if (token.isPresent() && token.get().length() < MIN_TOKEN_LENGTH)
        {
            throw new IllegalArgumentException("bearer token too short: length=" + token.get().length() + ": use at least "
                + MIN_TOKEN_LENGTH + " random characters (e.g. openssl rand -hex 32)");
        }
        guards.validate();
        if (token.isEmpty() && guards.requireToken())
        {
            throw new IllegalArgumentException("hatchery.http.require-token is on but no bearer token is set: set " + TOKEN_ENV
                + " (e.g. export " + TOKEN_ENV + "=$(openssl rand -hex 32)) or hatchery.http.token, or turn require-token off");
        }
        if (token.isEmpty() && !isLoopback(host))
        {
            throw new IllegalArgumentException("listening on host=" + host + " needs a bearer token: set " + TOKEN_ENV
                + " (e.g. export " + TOKEN_ENV + "=$(openssl rand -hex 32)) or hatchery.http.token, or listen on 127.0.0.1");
        }
        return this;
    }

    /** Whether every address {@code host} names is a loopback address (the cluster transport applies the same rule). */
    public static boolean isLoopback(final String host)
    {
        try
        {
            for (final InetAddress address : InetAddress.getAllByName(host))
            {
                if (!address.isLoopbackAddress())
                {
                    return false;
                }
            }
            return true;
        }
        catch (final UnknownHostException ex)
        {
            throw new IllegalArgumentException("cannot resolve host=" + host + ": give an address such as 127.0.0.1", ex);
        }
    }
}
