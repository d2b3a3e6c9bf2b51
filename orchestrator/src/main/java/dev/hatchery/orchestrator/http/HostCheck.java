package dev.hatchery.orchestrator.http;

import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Answers only requests whose Host header names this service. A browser page from anywhere can make the
 * browser send requests to 127.0.0.1; what it cannot do is make them carry a Host it does not own, unless it
 * rebinds its own name to 127.0.0.1 (DNS rebinding), and then the Host is its own name, which this refuses.
 */
final class HostCheck
{
    /** A DNS name or IPv4 address (letters, digits, hyphens, dots) or a bracketed IPv6 address. */
    private static final Pattern NAME = Pattern.compile("[a-z0-9]([a-z0-9-]{0,62})(\\.[a-z0-9]([a-z0-9-]{0,62}))*|\\[[0-9a-f:.]{2,45}]");
    private static final List<String> LOOPBACK_NAMES = List.of("127.0.0.1", "localhost", "[::1]");
    private static final Set<String> WILDCARDS = Set.of("0.0.0.0", "[::]", "[0:0:0:0:0:0:0:0]");

    /**
     * Accepted with the listening port: the listening address, and the loopback names when it is loopback or every address
     * (0.0.0.0, ::: other names reach it too, but only those configured are accepted).
     */
    private final Set<String> listeningNames;
    /** Accepted with any port or none: the configured names. */
    private final Set<String> configuredNames;
    private final boolean any;

    private HostCheck(final Set<String> listeningNames, final Set<String> configuredNames, final boolean any)
    {
        this.listeningNames = listeningNames;
        this.configuredNames = configuredNames;
        this.any = any;
    }

    static HostCheck of(final String listenHost, final boolean loopback, final HttpGuards guards)
    {
        final Set<String> listening = new LinkedHashSet<>();
        final String host = bracketed(listenHost.toLowerCase(Locale.ROOT));
        if (!WILDCARDS.contains(host))
        {
            listening.add(host);
        }
        if (loopback || WILDCARDS.contains(host))
        {
            listening.addAll(LOOPBACK_NAMES);
        }
        final Set<String> configured = new LinkedHashSet<>();
        for (final String name : guards.allowedHosts())
        {
            configured.add(bracketed(name.toLowerCase(Locale.ROOT)));
        }
        return new HostCheck(listening, configured, guards.acceptsAnyHost());
    }

    static boolean isName(final String name)
    {
        return NAME.matcher(bracketed(name.toLowerCase(Locale.ROOT))).matches();
    }

    /** Empty when a request with this Host header, received on {@code port}, is for this service; else why not. */
    Optional<String> refusal(final Optional<String> hostHeader, final int port)
    {
        if (any)
        {
            return Optional.empty();
        }
        if (hostHeader.isEmpty() || hostHeader.get().isBlank())
        {
            return Optional.of("send a Host header naming this service, e.g. Host: " + expected(port));
        }
        final String header = hostHeader.get().trim().toLowerCase(Locale.ROOT);
        final int portStart = header.startsWith("[") ? header.indexOf("]:") + 1 : header.indexOf(':');
        final String name = portStart > 0 ? header.substring(0, portStart) : header;
        final String portText = portStart > 0 ? header.substring(portStart + 1) : "";
        final boolean portMatches = portText.isEmpty() ? port == 80 : portText.equals(Integer.toString(port));
        if (configuredNames.contains(name) || listeningNames.contains(name) && portMatches)
        {
            return Optional.empty();
        }
        return Optional.of("Host '" + shorten(hostHeader.get()) + "' does not name this service: requests must name " + expected(port)
            + " (a page that reaches this port by another name is refused; list more names in hatchery.http.allowed-hosts)");
    }

    private String expected(final int port)
    {
        final Set<String> names = new LinkedHashSet<>();
        listeningNames.forEach(name -> names.add(name + ":" + port));
        names.addAll(configuredNames);
        return String.join(", ", names);
    }

    /** An IPv6 address in the form a Host header gives it. */
    private static String bracketed(final String host)
    {
        return host.indexOf(':') >= 0 && !host.startsWith("[") ? "[" + host + "]" : host;
    }

    private static String shorten(final String text)
    {
        final String printable = text.replaceAll("[^\\x20-\\x7e]", "?");
        return printable.length() <= 80 ? printable : printable.substring(0, 80) + "...";
    }
}
