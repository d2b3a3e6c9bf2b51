package dev.hatchery.vm;

import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What a networked guest may reach beyond itself (README "Isolation"), enforced for a whole {@link TapPool} by its
 * {@link TapFirewall}. Enabled, a guest reaches nothing on its own: replies to connections the host opened to it pass,
 * and so do {@code hostServices} on its own tap's host-side address and {@code outbound} networks beyond the host.
 * Never another guest, never another host address. A guest's frames carry its own MAC and IPv4 address or are dropped
 * ({@code dev.hatchery.devices.virtio.SourceFilter} in the VMM, and the firewall's source check behind it).
 *
 * @param enabled      off: no firewall and no source filter (the taps are open, as before isolation existed)
 * @param hostServices "udp/PORT" or "tcp/PORT" a guest may open on its tap's host-side address
 * @param outbound     IPv4 networks ("10.1.0.0/16") a guest may reach through the host, if the host forwards
 */
public record Isolation(boolean enabled, List<String> hostServices, List<String> outbound)
{
    private static final Pattern SERVICE = Pattern.compile("(udp|tcp)/([0-9]{1,5})");
    private static final Pattern CIDR = Pattern.compile("([0-9]{1,3})\\.([0-9]{1,3})\\.([0-9]{1,3})\\.([0-9]{1,3})/([0-9]{1,2})");

    /** On, nothing opened. */
    public static Isolation defaults()
    {
        return new Isolation(true, List.of(), List.of());
    }

    /** Isolation off. */
    public static Isolation off()
    {
        return new Isolation(false, List.of(), List.of());
    }

    /** Checks every entry before anything is made; the message names the setting, the value and the fix. */
    public Isolation
    {
        Objects.requireNonNull(hostServices, "hostServices");
        Objects.requireNonNull(outbound, "outbound");
        hostServices = hostServices.stream().map(service -> service.trim().toLowerCase(Locale.ROOT)).toList();
        outbound = outbound.stream().map(String::trim).toList();
        for (final String service : hostServices)
        {
            final Matcher matcher = SERVICE.matcher(service);
            if (!matcher.matches() || Integer.parseInt(matcher.group(2)) < 1 || Integer.parseInt(matcher.group(2)) > 65535)
            {
                throw new IllegalArgumentException("invalid host service for isolated guests: host-services entry=" + service
                    + ": write it as udp/PORT or tcp/PORT with PORT 1 to 65535, e.g. udp/53");
            }
        }
        for (final String network : outbound)
        {
            checkNetwork(network);
        }
    }

    private static void checkNetwork(final String network)
    {
        final String problem = "invalid outbound network for isolated guests: allow-outbound entry=" + network + ": ";
        final Matcher matcher = CIDR.matcher(network);
        if (!matcher.matches())
        {
            throw new IllegalArgumentException(problem + "write it as an IPv4 network with a prefix length, e.g. 10.1.0.0/16");
        }
        long address = 0;
        for (int i = 1; i <= 4; i++)
        {
            final int part = Integer.parseInt(matcher.group(i));
            if (part > 255)
            {
                throw new IllegalArgumentException(problem + "each address byte must be 0 to 255");
            }
            address = address << 8 | part;
        }
        final int length = Integer.parseInt(matcher.group(5));
        if (length > 32)
        {
            throw new IllegalArgumentException(problem + "the prefix length must be 0 to 32");
        }
        final long hostBits = length == 0 ? 0xffff_ffffL : (1L << (32 - length)) - 1;
        if ((address & hostBits) != 0)
        {
            throw new IllegalArgumentException(problem + "host bits are set; use the network address, e.g. "
                + TapPool.format((int)(address & ~hostBits)) + "/" + length);
        }
    }

    /** The protocol of a checked host-services entry. */
    static String protocol(final String service)
    {
        return service.substring(0, service.indexOf('/'));
    }

    /** The port of a checked host-services entry. */
    static int port(final String service)
    {
        return Integer.parseInt(service.substring(service.indexOf('/') + 1));
    }

    @Override
    public String toString()
    {
        return enabled ? "isolation=on host_services=" + hostServices + " outbound=" + outbound : "isolation=off";
    }
}
