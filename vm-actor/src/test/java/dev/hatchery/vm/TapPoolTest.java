package dev.hatchery.vm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.Inet4Address;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TapPoolTest
{
    /** Records what the pool asks for instead of creating taps. */
    private static final class FakeMaker implements TapPool.TapMaker
    {
        final List<String> created = new ArrayList<>();
        final List<String> deleted = new ArrayList<>();
        final List<String> reclaimed = new ArrayList<>();
        int failAt = -1;

        @Override
        public void create(final String name, final Inet4Address host, final int prefixLength)
        {
            if (created.size() == failAt)
            {
                throw new IllegalStateException("boom");
            }
            created.add(name + "=" + host.getHostAddress() + "/" + prefixLength);
        }

        @Override
        public void delete(final String name)
        {
            deleted.add(name);
        }

        @Override
        public int reclaim(final String prefix)
        {
            reclaimed.add(prefix);
            return 0;
        }
    }

    /** Records the rulesets the pool applies; fails when told to. */
    private static final class FakeFirewall implements TapFirewall.Applier
    {
        final List<String> applied = new ArrayList<>();
        RuntimeException failure;

        @Override
        public void apply(final String ruleset)
        {
            if (failure != null)
            {
                throw failure;
            }
            applied.add(ruleset);
        }
    }

    @TempDir
    Path locks;

    private final FakeFirewall firewall = new FakeFirewall();

    @Test
    void shouldInstallTheFirewallForExactlyItsTapsOnceAtStartAndRemoveItAfterTheTapsAtClose()
    {
        final FakeMaker maker = new FakeMaker();
        try (TapPool pool = TapPool.create(new TapPool.Settings("hatch", 2, "172.30.0.0/16"), maker, firewall, locks))
        {
            assertEquals(1, firewall.applied.size());
            final String rules = firewall.applied.get(0);
            assertTrue(rules.startsWith(TapFirewall.removal("hatch")), "leftovers of a crashed run are replaced: " + rules);
            assertTrue(rules.contains("set taps { type ifname; elements = { \"hatch0\", \"hatch1\" } }"), rules);
            pool.lease();
            assertEquals(1, firewall.applied.size(), "a lease touches no rule");
        }
        assertEquals(List.of("hatch0", "hatch1"), maker.deleted);
        assertEquals(2, firewall.applied.size());
        assertEquals(TapFirewall.removal("hatch"), firewall.applied.get(1));
    }

    @Test
    void shouldDeleteItsTapsAndReleaseThePrefixWhenTheFirewallCannotBeInstalled()
    {
        final FakeMaker maker = new FakeMaker();
        firewall.failure = new IllegalStateException("network isolation needs nft");

        final IllegalStateException refused = assertThrows(IllegalStateException.class,
            () -> TapPool.create(new TapPool.Settings("hatch", 3, "172.30.0.0/16"), maker, firewall, locks));

        assertEquals("network isolation needs nft", refused.getMessage());
        assertEquals(List.of("hatch0", "hatch1", "hatch2"), maker.deleted);
        firewall.failure = null;
        try (TapPool again = TapPool.create(new TapPool.Settings("hatch", 1, "172.30.0.0/16"), maker, firewall, locks))
        {
            assertEquals(1, again.available());
        }
    }

    @Test
    void shouldOnlyTryToRemoveALeftoverFirewallWhenIsolationIsOff()
    {
        firewall.failure = new IllegalStateException("nft: not found");
        final TapPool.Settings open = new TapPool.Settings("hatch", 1, "172.30.0.0/16").withIsolation(Isolation.off());
        try (TapPool pool = TapPool.create(open, new FakeMaker(), firewall, locks))
        {
            assertEquals(1, pool.available(), "without nft there is no leftover table to remove");
        }
        firewall.failure = null;
        try (TapPool pool = TapPool.create(open, new FakeMaker(), firewall, locks))
        {
            assertEquals(List.of(TapFirewall.removal("hatch")), firewall.applied);
        }
        assertEquals(1, firewall.applied.size(), "nothing to remove at close");
    }

    @Test
    void shouldGiveEachTapOneSlash30WithHostDot1AndGuestDot2()
    {
        final FakeMaker maker = new FakeMaker();
        try (TapPool pool = TapPool.create(new TapPool.Settings("hatch", 3, "172.30.0.0/16"), maker, firewall, locks))
        {
            assertEquals(List.of("hatch0=172.30.0.1/30", "hatch1=172.30.0.5/30", "hatch2=172.30.0.9/30"), maker.created);
            final TapLease first = pool.lease();
            final TapLease second = pool.lease();
            assertEquals("hatch0", first.tapName());
            assertEquals("172.30.0.2", first.guestAddress().getHostAddress());
            assertEquals("172.30.0.1", first.hostAddress().getHostAddress());
            assertEquals("255.255.255.252", first.netmask());
            assertEquals("172.30.0.6", second.guestAddress().getHostAddress());
            assertEquals(1, pool.available());
        }
        assertEquals(List.of("hatch0", "hatch1", "hatch2"), maker.deleted);
    }

    @Test
    void shouldAddressTheLastSlotOfASubnet()
    {
        final TapPool.AddressPlan plan = TapPool.AddressPlan.parse("10.1.0.0/24");
        assertEquals(64, plan.capacity());
        assertEquals("10.1.0.253", plan.host(63).getHostAddress());
        assertEquals("10.1.0.254", plan.guest(63).getHostAddress());
    }

    @Test
    void shouldFailAtOnceWithTheReasonWhenEveryTapIsLeased()
    {
        try (TapPool pool = TapPool.create(new TapPool.Settings("hatch", 2, "172.30.0.0/16"), new FakeMaker(), firewall, locks))
        {
            pool.lease();
            pool.lease();

            final TapPoolExhaustedException ex = assertThrows(TapPoolExhaustedException.class, pool::lease);
            assertEquals("no free tap: pool prefix=hatch size=2 leased=2; every tap is in use by a running VM: stop some or make the pool larger",
                ex.getMessage());
        }
    }

    @Test
    void shouldTakeALeaseBackOnceHoweverOftenItIsClosed()
    {
        try (TapPool pool = TapPool.create(new TapPool.Settings("hatch", 2, "172.30.0.0/16"), new FakeMaker(), firewall, locks))
        {
            final TapLease lease = pool.lease();
            lease.close();
            lease.close();
            assertFalse(lease.isLeased());
            assertEquals(2, pool.available());
            final Set<String> names = new HashSet<>();
            names.add(pool.lease().tapName());
            names.add(pool.lease().tapName());
            assertEquals(2, names.size());
        }
    }

    @Test
    void shouldDeleteTheTapsMadeSoFarWhenCreatingOneFails()
    {
        final FakeMaker maker = new FakeMaker();
        maker.failAt = 2;

        assertThrows(IllegalStateException.class, () -> TapPool.create(new TapPool.Settings("hatch", 4, "172.30.0.0/16"), maker, firewall, locks));
        assertEquals(List.of("hatch0", "hatch1"), maker.deleted);
    }

    @Test
    void shouldRejectBadSettingsWithPreciseMessages()
    {
        assertEquals("invalid tap subnet: subnet=172.30.0.1/16: host bits are set; use the network address, e.g. 172.30.0.0/16",
            assertThrows(IllegalArgumentException.class, () -> new TapPool.Settings("hatch", 1, "172.30.0.1/16")).getMessage());
        assertEquals("tap pool does not fit its subnet: size=65 subnet=10.0.0.0/24 capacity=64 (one /30 per tap); use a larger subnet or fewer taps",
            assertThrows(IllegalArgumentException.class, () -> new TapPool.Settings("hatch", 65, "10.0.0.0/24")).getMessage());
        assertEquals("invalid tap prefix: prefix=Hatch: use 1 to 10 lower-case letters, digits or '-', starting with a letter"
            + " (interface names are at most 15 bytes)",
            assertThrows(IllegalArgumentException.class, () -> new TapPool.Settings("Hatch", 1, "10.0.0.0/24")).getMessage());
        assertEquals("invalid tap subnet: subnet=10.0.0.0: write it as an IPv4 network with a prefix length, e.g. 172.30.0.0/16",
            assertThrows(IllegalArgumentException.class, () -> new TapPool.Settings("hatch", 1, "10.0.0.0")).getMessage());
        assertEquals("invalid tap pool size: size=0: must be at least 1",
            assertThrows(IllegalArgumentException.class, () -> new TapPool.Settings("hatch", 0, "10.0.0.0/24")).getMessage());
    }

    @Test
    void shouldBuildThePerVmCommandLineFromTheLease()
    {
        try (TapPool pool = TapPool.create(new TapPool.Settings("hatch", 2, "172.30.0.0/16"), new FakeMaker(), firewall, locks))
        {
            pool.lease();
            final TapLease lease = pool.lease();

            assertEquals("console=ttyS0 virtio_mmio.device=4K@0xd0001000:5 ip=172.30.0.6::172.30.0.5:255.255.255.252::eth0:off",
                VmNetwork.cmdline("console=ttyS0", 0xd0001000L, lease));
            assertEquals("virtio_mmio.device=4K@0xd0001000:5 ip=172.30.0.6::172.30.0.5:255.255.255.252::eth0:off",
                VmNetwork.cmdline("", 0xd0001000L, lease));
        }
    }

    @Test
    void shouldHoldItsPrefixSoThatASecondPoolOfThisProcessIsRefusedUntilItCloses()
    {
        final FakeMaker maker = new FakeMaker();
        try (TapPool first = TapPool.create(new TapPool.Settings("hatch", 1, "172.30.0.0/16"), maker, firewall, locks);
             TapPool other = TapPool.create(new TapPool.Settings("other", 1, "172.31.0.0/16"), maker, firewall, locks))
        {
            final TapPrefixInUseException ex = assertThrows(TapPrefixInUseException.class,
                () -> TapPool.create(new TapPool.Settings("hatch", 1, "172.30.0.0/16"), maker, firewall, locks));

            assertEquals("tap prefix 'hatch' is in use by another tap pool of this process (lock " + locks.resolve("taps-hatch.lock")
                + "): close it first, or give this one another prefix", ex.getMessage());
            assertEquals(List.of("hatch0=172.30.0.1/30", "other0=172.31.0.1/30"), maker.created, "the refused pool made no tap");
            assertEquals(List.of("hatch", "other"), maker.reclaimed, "and reclaimed nothing: reclaiming would delete the holder's taps");
        }
        try (TapPool again = TapPool.create(new TapPool.Settings("hatch", 1, "172.30.0.0/16"), maker, firewall, locks))
        {
            assertEquals(1, again.size());
        }
    }

    @Test
    void shouldRefuseAPrefixHeldByAnotherProcessNamingItAndTakeItOnceThatProcessIsKilled() throws Exception
    {
        final Process holder = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp",
            System.getProperty("java.class.path"), TapPrefixLockHolder.class.getName(), locks.toString(), "hatch")
            .redirectErrorStream(true).start();
        try
        {
            final BufferedReader out = new BufferedReader(new InputStreamReader(holder.getInputStream(), StandardCharsets.US_ASCII));
            assertEquals("locked", out.readLine());
            final FakeMaker maker = new FakeMaker();

            final TapPrefixInUseException ex = assertThrows(TapPrefixInUseException.class,
                () -> TapPool.create(new TapPool.Settings("hatch", 2, "172.30.0.0/16"), maker, firewall, locks));

            assertTrue(ex.getMessage().startsWith("tap prefix 'hatch' is in use by another process (pid " + holder.pid() + ", since "),
                ex.getMessage());
            assertTrue(ex.getMessage().endsWith("; lock " + locks.resolve("taps-hatch.lock") + "): its taps would be deleted under it."
                + " Stop that process, or give this one another prefix (hatchery.taps.prefix)"), ex.getMessage());
            assertEquals(List.of(), maker.created);
            assertEquals(List.of(), maker.reclaimed);

            holder.destroyForcibly().waitFor();
            try (TapPool pool = TapPool.create(new TapPool.Settings("hatch", 2, "172.30.0.0/16"), maker, firewall, locks))
            {
                assertEquals(List.of("hatch"), maker.reclaimed, "the killed holder's leftovers are reclaimed first");
                assertEquals(2, pool.size());
                assertTrue(Files.readString(locks.resolve("taps-hatch.lock")).startsWith("pid " + ProcessHandle.current().pid() + ", since "));
            }
        }
        finally
        {
            holder.destroyForcibly();
        }
    }
}
