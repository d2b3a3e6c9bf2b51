package dev.hatchery.vm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;

/** The text of a pool's firewall; the lab's IsolationIT applies it with nft and sends real guests' traffic at it. */
class TapFirewallTest
{
    private static List<TapLease> taps(final int count)
    {
        final TapPool.AddressPlan plan = TapPool.AddressPlan.parse("172.30.0.0/16");
        return java.util.stream.IntStream.range(0, count)
            .mapToObj(slot -> new TapLease(null, "hatch" + slot, plan.host(slot), plan.guest(slot), 30)).toList();
    }

    @Test
    void shouldNameEveryTapWithItsOwnGuestAndHostAddress()
    {
        final String rules = TapFirewall.ruleset("hatch", taps(2), Isolation.defaults());

        assertTrue(rules.contains("set taps { type ifname; elements = { \"hatch0\", \"hatch1\" } }"), rules);
        assertTrue(rules.contains("set guest_sources { type ifname . ipv4_addr; elements = { \"hatch0\" . 172.30.0.2, \"hatch1\" . 172.30.0.6 } }"), rules);
        assertTrue(rules.contains("set host_addresses { type ifname . ipv4_addr; elements = { \"hatch0\" . 172.30.0.1, \"hatch1\" . 172.30.0.5 } }"), rules);
        assertFalse(rules.contains("hatch*"), "a wildcard would catch another prefix's taps: " + rules);
    }

    @Test
    void shouldDropEverythingAGuestStartsUnlessOpenedAndLetRepliesThrough()
    {
        final String rules = TapFirewall.ruleset("hatch", taps(1), Isolation.defaults());

        assertTrue(rules.contains("set host_services { type inet_proto . inet_service; }"), rules);
        assertTrue(rules.contains("set outbound { type ipv4_addr; flags interval; auto-merge; }"), rules);
        assertTrue(rules.contains("iifname @taps meta nfproto != ipv4 drop"), rules);
        assertTrue(rules.contains("iifname @taps iifname . ip saddr != @guest_sources drop"), rules);
        assertTrue(rules.contains("iifname @taps ct state established,related accept\n"
            + "    iifname @taps iifname . ip daddr @host_addresses meta l4proto . th dport @host_services accept\n"
            + "    iifname @taps drop\n"), rules);
        assertTrue(rules.contains("iifname @taps drop\n    oifname @taps drop\n"), rules);
        assertTrue(rules.contains("iifname @taps arp saddr ip != 0.0.0.0 iifname . arp saddr ip != @guest_sources drop"), rules);
    }

    @Test
    void shouldListTheServicesAndNetworksASettingOpens()
    {
        final String rules = TapFirewall.ruleset("hatch", taps(1),
            new Isolation(true, List.of("udp/53", "TCP/8080"), List.of("10.1.0.0/16", "0.0.0.0/0")));

        assertTrue(rules.contains("set host_services { type inet_proto . inet_service; elements = { udp . 53, tcp . 8080 } }"), rules);
        assertTrue(rules.contains("set outbound { type ipv4_addr; flags interval; auto-merge; elements = { 10.1.0.0/16, 0.0.0.0/0 } }"),
            "overlapping networks are merged, not refused by nft: " + rules);
        assertTrue(rules.contains("iifname @taps oifname != @taps ip daddr @outbound accept"), rules);
    }

    @Test
    void shouldReplaceAnyEarlierTablesOfThePrefixInTheSameTransaction()
    {
        final String rules = TapFirewall.ruleset("vm-a", taps(1), Isolation.defaults());

        assertEquals("hatchery_vm_a", TapFirewall.tableName("vm-a"));
        assertEquals("table inet hatchery_vm_a {}\ndelete table inet hatchery_vm_a\ntable arp hatchery_vm_a {}\n"
            + "delete table arp hatchery_vm_a\n", TapFirewall.removal("vm-a"));
        assertTrue(rules.startsWith(TapFirewall.removal("vm-a") + "table inet hatchery_vm_a {\n"), rules);
        assertTrue(rules.contains("table arp hatchery_vm_a {\n"), rules);
    }

    @Test
    void shouldRefuseMalformedIsolationSettingsNamingTheEntryAndTheFix()
    {
        assertEquals("invalid host service for isolated guests: host-services entry=icmp/1: write it as udp/PORT or tcp/PORT with"
            + " PORT 1 to 65535, e.g. udp/53",
            assertThrows(IllegalArgumentException.class, () -> new Isolation(true, List.of("icmp/1"), List.of())).getMessage());
        assertEquals("invalid host service for isolated guests: host-services entry=tcp/65536: write it as udp/PORT or tcp/PORT"
            + " with PORT 1 to 65535, e.g. udp/53",
            assertThrows(IllegalArgumentException.class, () -> new Isolation(true, List.of("tcp/65536"), List.of())).getMessage());
        assertEquals("invalid host service for isolated guests: host-services entry=udp/0: write it as udp/PORT or tcp/PORT with"
            + " PORT 1 to 65535, e.g. udp/53",
            assertThrows(IllegalArgumentException.class, () -> new Isolation(true, List.of("udp/0"), List.of())).getMessage());
        assertEquals("invalid outbound network for isolated guests: allow-outbound entry=10.1.0.1/16: host bits are set; use the"
            + " network address, e.g. 10.1.0.0/16",
            assertThrows(IllegalArgumentException.class, () -> new Isolation(true, List.of(), List.of("10.1.0.1/16"))).getMessage());
        assertEquals("invalid outbound network for isolated guests: allow-outbound entry=example.com: write it as an IPv4 network"
            + " with a prefix length, e.g. 10.1.0.0/16",
            assertThrows(IllegalArgumentException.class, () -> new Isolation(true, List.of(), List.of("example.com"))).getMessage());
        assertEquals("invalid outbound network for isolated guests: allow-outbound entry=10.300.0.0/16: each address byte must be"
            + " 0 to 255",
            assertThrows(IllegalArgumentException.class, () -> new Isolation(true, List.of(), List.of("10.300.0.0/16"))).getMessage());
        assertEquals("invalid outbound network for isolated guests: allow-outbound entry=10.0.0.0/33: the prefix length must be"
            + " 0 to 32",
            assertThrows(IllegalArgumentException.class, () -> new Isolation(true, List.of(), List.of("10.0.0.0/33"))).getMessage());
        assertEquals("isolation=on host_services=[udp/7] outbound=[]", new Isolation(true, List.of(" UDP/7 "), List.of()).toString());
        assertEquals("isolation=off", Isolation.off().toString());
    }
}
