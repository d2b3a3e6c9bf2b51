package dev.hatchery.vm;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * The {@link Isolation} of one {@link TapPool}, as nftables tables named {@code hatchery_<prefix>} (family inet for
 * IPv4/IPv6, family arp for ARP) that the pool installs once when it starts and removes when it closes. Installing
 * replaces any table of the same name in one transaction, so a crashed run's leftovers are reclaimed the way its taps
 * are. The rules name the pool's taps exactly (never a wildcard that another prefix could match):
 * <ul>
 * <li>prerouting: from a pool tap, only IPv4 from that tap's guest address (no IPv6, no spoofed source);</li>
 * <li>input: replies to connections the host opened pass, then the allowed host services on that tap's own host
 * address, everything else is dropped (other host addresses, other taps' addresses, any other port);</li>
 * <li>forward: from a pool tap only to the allowed outbound networks and never to another pool tap; to a pool tap only
 * replies;</li>
 * <li>arp input: from a pool tap only ARP naming that tap's guest address (or 0.0.0.0, a probe).</li>
 * </ul>
 * Runs {@code nft} (Debian package nftables) as a child process: once per pool, never per VM.
 */
final class TapFirewall
{
    private static final long NFT_TIMEOUT_SECONDS = 30;

    /** How the rules reach the kernel; {@link #NFT} runs nft, unit tests record the text. */
    interface Applier
    {
        void apply(String ruleset);
    }

    static final Applier NFT = TapFirewall::runNft;

    private TapFirewall()
    {
    }

    /** The tables' name for a pool prefix ('-' is not allowed in a table name; '_' never appears in a prefix). */
    static String tableName(final String prefix)
    {
        return "hatchery_" + prefix.replace('-', '_');
    }

    /** The pool's whole ruleset, replacing any earlier tables of the same name. */
    static String ruleset(final String prefix, final List<TapLease> taps, final Isolation isolation)
    {
        final String table = tableName(prefix);
        final String names = taps.stream().map(tap -> quote(tap.tapName())).collect(Collectors.joining(", "));
        final String sources = taps.stream().map(tap -> quote(tap.tapName()) + " . " + tap.guestAddress().getHostAddress())
            .collect(Collectors.joining(", "));
        final String hosts = taps.stream().map(tap -> quote(tap.tapName()) + " . " + tap.hostAddress().getHostAddress())
            .collect(Collectors.joining(", "));
        final String services = isolation.hostServices().stream()
            .map(service -> Isolation.protocol(service) + " . " + Isolation.port(service)).collect(Collectors.joining(", "));
        final String outbound = String.join(", ", isolation.outbound());
        final StringBuilder text = new StringBuilder(256 + 64 * taps.size());
        text.append(removal(prefix));
        text.append("table inet ").append(table).append(" {\n");
        text.append("  set taps { type ifname; elements = { ").append(names).append(" } }\n");
        text.append("  set guest_sources { type ifname . ipv4_addr; elements = { ").append(sources).append(" } }\n");
        text.append("  set host_addresses { type ifname . ipv4_addr; elements = { ").append(hosts).append(" } }\n");
        text.append("  set host_services { type inet_proto . inet_service;");
        if (!services.isEmpty())
        {
            text.append(" elements = { ").append(services).append(" }");
        }
        text.append(" }\n");
        // auto-merge: overlapping networks in the setting (10.0.0.0/8 and 10.1.0.0/16) are one range, not an nft error.
        text.append("  set outbound { type ipv4_addr; flags interval; auto-merge;");
        if (!outbound.isEmpty())
        {
            text.append(" elements = { ").append(outbound).append(" }");
        }
        text.append(" }\n");
        text.append("  chain guest_sources_only {\n");
        text.append("    type filter hook prerouting priority -300; policy accept;\n");
        text.append("    iifname @taps meta nfproto != ipv4 drop\n");
        text.append("    iifname @taps iifname . ip saddr != @guest_sources drop\n");
        text.append("  }\n");
        text.append("  chain guest_to_host {\n");
        text.append("    type filter hook input priority -10; policy accept;\n");
        text.append("    iifname @taps ct state established,related accept\n");
        text.append("    iifname @taps iifname . ip daddr @host_addresses meta l4proto . th dport @host_services accept\n");
        text.append("    iifname @taps drop\n");
        text.append("  }\n");
        text.append("  chain guest_forward {\n");
        text.append("    type filter hook forward priority -10; policy accept;\n");
        text.append("    iifname @taps oifname != @taps ip daddr @outbound accept\n");
        text.append("    iifname != @taps oifname @taps ct state established,related accept\n");
        text.append("    iifname @taps drop\n");
        text.append("    oifname @taps drop\n");
        text.append("  }\n");
        text.append("}\n");
        text.append("table arp ").append(table).append(" {\n");
        text.append("  set taps { type ifname; elements = { ").append(names).append(" } }\n");
        text.append("  set guest_sources { type ifname . ipv4_addr; elements = { ").append(sources).append(" } }\n");
        text.append("  chain guest_arp {\n");
        text.append("    type filter hook input priority -10; policy accept;\n");
        text.append("    iifname @taps arp saddr ip != 0.0.0.0 iifname . arp saddr ip != @guest_sources drop\n");
        text.append("  }\n");
        text.append("}\n");
        return text.toString();
    }

    /** Deletes the pool's tables whether or not they exist (adding an empty table first makes the delete safe). */
    static String removal(final String prefix)
    {
        final String table = tableName(prefix);
        return "table inet " + table + " {}\ndelete table inet " + table + "\ntable arp " + table + " {}\ndelete table arp "
            + table + "\n";
    }

    private static String quote(final String name)
    {
        return '"' + name + '"';
    }

    private static void runNft(final String ruleset)
    {
        final Process process;
        try
        {
            process = new ProcessBuilder("nft", "-f", "-").redirectErrorStream(true).start();
        }
        catch (final IOException ex)
        {
            throw new IllegalStateException("network isolation needs nft, which did not start (" + ex.getMessage()
                + "): install the Debian package nftables (apt-get install nftables), or turn isolation off with"
                + " hatchery.taps.isolation.enabled = off (README \"Isolation\")", ex);
        }
        try
        {
            try (OutputStream in = process.getOutputStream())
            {
                in.write(ruleset.getBytes(StandardCharsets.UTF_8));
            }
            if (!process.waitFor(NFT_TIMEOUT_SECONDS, TimeUnit.SECONDS))
            {
                process.destroyForcibly();
                throw new IllegalStateException("nft did not finish within " + NFT_TIMEOUT_SECONDS + " s");
            }
            final String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            if (process.exitValue() != 0)
            {
                throw new IllegalStateException("nft refused the tap pool's firewall: exit=" + process.exitValue() + " output=\""
                    + output + "\"; it needs CAP_NET_ADMIN and a kernel with nf_tables and nft_ct (README \"Isolation\")");
            }
        }
        catch (final IOException ex)
        {
            process.destroyForcibly();
            throw new IllegalStateException("nft failed: " + ex.getMessage(), ex);
        }
        catch (final InterruptedException ex)
        {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while nft ran", ex);
        }
    }
}
