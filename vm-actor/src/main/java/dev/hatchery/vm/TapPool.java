package dev.hatchery.vm;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;

import dev.hatchery.kvm.NetDevice;
import dev.hatchery.kvm.Tap;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Taps created ahead of use, shared by every VM of the process (held by {@link VmHost}): each tap is
 * persistent, up, and owns one /30 of the configured subnet (host .1, guest .2). A networked VM leases one
 * and gives it back when it ends ({@link TapLease#close()}); an empty pool fails at once with the reason,
 * it never waits. On creation the pool deletes taps with its prefix that a crashed run left behind; it holds its
 * prefix's {@link TapPrefixLock} from before that until it has deleted its taps, so that two processes never share a prefix.
 */
public final class TapPool implements AutoCloseable
{
    private static final Logger LOG = LoggerFactory.getLogger(TapPool.class);

    /** Each tap's subnet: network, host, guest, broadcast. */
    static final int SLOT_PREFIX_LENGTH = 30;
    static final int SLOT_SIZE = 4;

    /** How many taps, named how, addressed from which subnet, and what their guests may reach. */
    public record Settings(String prefix, int size, String subnet, Isolation isolation)
    {
        public static final String DEFAULT_PREFIX = "hatch";
        public static final int DEFAULT_SIZE = 64;
        public static final String DEFAULT_SUBNET = "172.30.0.0/16";

        public static Settings defaults()
        {
            return new Settings(DEFAULT_PREFIX, DEFAULT_SIZE, DEFAULT_SUBNET);
        }

        /** Isolated, nothing opened ({@link Isolation#defaults()}). */
        public Settings(final String prefix, final int size, final String subnet)
        {
            this(prefix, size, subnet, Isolation.defaults());
        }

        public Settings withIsolation(final Isolation newIsolation)
        {
            return new Settings(prefix, size, subnet, newIsolation);
        }

        /** Checks everything before any tap is touched; messages name the setting, the value and the fix. */
        public Settings
        {
            Objects.requireNonNull(prefix, "prefix");
            Objects.requireNonNull(subnet, "subnet");
            Objects.requireNonNull(isolation, "isolation");
            if (!prefix.matches("[a-z][a-z0-9-]{0,9}"))
            {
                throw new IllegalArgumentException("invalid tap prefix: prefix=" + prefix
                    + ": use 1 to 10 lower-case letters, digits or '-', starting with a letter (interface names are at most 15 bytes)");
            }
            if (size < 1)
            {
                throw new IllegalArgumentException("invalid tap pool size: size=" + size + ": must be at least 1");
            }
            final int capacity = AddressPlan.parse(subnet).capacity();
            if (size > capacity)
            {
                throw new IllegalArgumentException("tap pool does not fit its subnet: size=" + size + " subnet=" + subnet
                    + " capacity=" + capacity + " (one /30 per tap); use a larger subnet or fewer taps");
            }
        }
    }

    /** Slot i of a subnet is the i-th /30 in it: host address .1, guest .2 of that /30. */
    record AddressPlan(int base, int prefixLength)
    {
        static AddressPlan parse(final String cidr)
        {
            final int slash = cidr.indexOf('/');
            final String problem = "invalid tap subnet: subnet=" + cidr + ": ";
            if (slash < 0)
            {
                throw new IllegalArgumentException(problem + "write it as an IPv4 network with a prefix length, e.g. 172.30.0.0/16");
            }
            final int prefixLength;
            try
            {
                prefixLength = Integer.parseInt(cidr.substring(slash + 1));
            }
            catch (final NumberFormatException ex)
            {
                throw new IllegalArgumentException(problem + "the prefix length is not a number");
            }
            if (prefixLength < 8 || prefixLength > SLOT_PREFIX_LENGTH)
            {
                throw new IllegalArgumentException(problem + "the prefix length must be between 8 and " + SLOT_PREFIX_LENGTH);
            }
            final String[] octets = cidr.substring(0, slash).split("\\.", -1);
            if (octets.length != 4)
            {
                throw new IllegalArgumentException(problem + "the address must be four dotted decimal numbers");
            }
            int base = 0;
            for (final String octet : octets)
            {
                final int value;
                try
                {
                    value = Integer.parseInt(octet);
                }
                catch (final NumberFormatException ex)
                {
                    throw new IllegalArgumentException(problem + "the address must be four dotted decimal numbers");
                }
                if (value < 0 || value > 255)
                {
                    throw new IllegalArgumentException(problem + "each address byte must be 0 to 255");
                }
                base = (base << 8) | value;
            }
            final int hostMask = (int)((1L << (32 - prefixLength)) - 1);
            if ((base & hostMask) != 0)
            {
                throw new IllegalArgumentException(problem + "host bits are set; use the network address, e.g. "
                    + format(base & ~hostMask) + "/" + prefixLength);
            }
            return new AddressPlan(base, prefixLength);
        }

        int capacity()
        {
            return 1 << (SLOT_PREFIX_LENGTH - prefixLength);
        }

        Inet4Address host(final int slot)
        {
            return address(base + slot * SLOT_SIZE + 1);
        }

        Inet4Address guest(final int slot)
        {
            return address(base + slot * SLOT_SIZE + 2);
        }
    }

    /** What creating and deleting a tap means; the native one below, a fake in unit tests. */
    interface TapMaker
    {
        void create(String name, Inet4Address host, int prefixLength);

        void delete(String name);

        /** Deletes taps named {@code <prefix><n>} that a crashed run left; how many. */
        int reclaim(String prefix);
    }

    private final Settings settings;
    private final TapMaker maker;
    private final TapFirewall.Applier firewall;
    private final TapPrefixLock lock;
    private final List<TapLease> all;
    private final Deque<TapLease> free;
    private boolean closed;

    private TapPool(final Settings settings, final TapMaker maker, final TapFirewall.Applier firewall, final TapPrefixLock lock,
        final List<TapLease> all)
    {
        this.settings = settings;
        this.maker = maker;
        this.firewall = firewall;
        this.lock = lock;
        this.all = all;
        this.free = new ArrayDeque<>(all);
    }

    /**
     * Takes the prefix's lock (fails with {@link TapPrefixInUseException}, naming the holder, when another process has it),
     * reclaims leftovers, then creates, addresses and brings up {@code settings.size()} taps and, with isolation on,
     * installs their {@link TapFirewall} before any VM can lease one. Needs CAP_NET_ADMIN (fails with
     * {@code NetAdminRequiredException} otherwise) and, isolated, nft; a failure deletes the taps made so far and releases
     * the lock.
     */
    public static TapPool create(final Settings settings)
    {
        return create(settings, NATIVE, TapFirewall.NFT, TapPrefixLock.DEFAULT_DIR);
    }

    static TapPool create(final Settings settings, final TapMaker maker, final TapFirewall.Applier firewall, final Path lockDir)
    {
        final TapPrefixLock lock = TapPrefixLock.acquire(lockDir, settings.prefix());
        try
        {
            maker.reclaim(settings.prefix());
            return create(settings, maker, firewall, lock);
        }
        catch (final RuntimeException | Error ex)
        {
            lock.close();
            throw ex;
        }
    }

    private static TapPool create(final Settings settings, final TapMaker maker, final TapFirewall.Applier firewall,
        final TapPrefixLock lock)
    {
        final AddressPlan plan = AddressPlan.parse(settings.subnet());
        final List<TapLease> leases = new ArrayList<>(settings.size());
        final TapPool pool = new TapPool(settings, maker, firewall, lock, leases);
        try
        {
            for (int slot = 0; slot < settings.size(); slot++)
            {
                final String name = settings.prefix() + slot;
                maker.create(name, plan.host(slot), SLOT_PREFIX_LENGTH);
                leases.add(new TapLease(pool, name, plan.host(slot), plan.guest(slot), SLOT_PREFIX_LENGTH));
            }
            if (settings.isolation().enabled())
            {
                firewall.apply(TapFirewall.ruleset(settings.prefix(), leases, settings.isolation()));
            }
            else
            {
                removeFirewallQuietly(settings.prefix(), firewall);
            }
        }
        catch (final RuntimeException | Error ex)
        {
            leases.forEach(lease -> deleteQuietly(maker, lease.tapName()));
            throw ex;
        }
        pool.free.addAll(leases);
        LOG.info("tap_pool.created prefix={} size={} subnet={} {} firewall_table={}", settings.prefix(), settings.size(),
            settings.subnet(), settings.isolation(), settings.isolation().enabled() ? TapFirewall.tableName(settings.prefix()) : "none");
        return pool;
    }

    /** A leftover table (of an isolated run before) would cut off the taps of this pool; without nft there is none to remove. */
    private static void removeFirewallQuietly(final String prefix, final TapFirewall.Applier firewall)
    {
        try
        {
            firewall.apply(TapFirewall.removal(prefix));
        }
        catch (final RuntimeException ex)
        {
            LOG.info("tap_pool.firewall_not_removed prefix={} reason=\"{}\"", prefix, ex.getMessage());
        }
    }

    /** Deletes persistent taps named {@code <prefix><number>} (a crashed run's); one still open elsewhere is only logged. */
    static int reclaim(final String prefix)
    {
        final Pattern ours = Pattern.compile(Pattern.quote(prefix) + "[0-9]+");
        int reclaimed = 0;
        for (final String name : NetDevice.list(prefix))
        {
            if (ours.matcher(name).matches() && NetDevice.isTap(name))
            {
                try
                {
                    if (NetDevice.deletePersistentTap(name))
                    {
                        reclaimed++;
                    }
                }
                catch (final RuntimeException ex)
                {
                    LOG.warn("tap_pool.reclaim_failed tap={} error=\"{}\"", name, ex.getMessage());
                }
            }
        }
        if (reclaimed > 0)
        {
            LOG.info("tap_pool.reclaimed prefix={} taps={}", prefix, reclaimed);
        }
        return reclaimed;
    }

    public Settings settings()
    {
        return settings;
    }

    /** A free tap; fails at once, saying how many are leased, when none is free. */
    public synchronized TapLease lease()
    {
        if (closed)
        {
            throw new IllegalStateException("tap pool is closed: prefix=" + settings.prefix());
        }
        final TapLease lease = free.pollFirst();
        if (lease == null)
        {
            throw new TapPoolExhaustedException("no free tap: pool prefix=" + settings.prefix() + " size=" + settings.size()
                + " leased=" + settings.size() + "; every tap is in use by a running VM: stop some or make the pool larger");
        }
        lease.leased();
        return lease;
    }

    synchronized void giveBack(final TapLease lease)
    {
        free.addLast(lease);
    }

    public synchronized int available()
    {
        return free.size();
    }

    public int size()
    {
        return all.size();
    }

    /** The tap names, in slot order. */
    public List<String> names()
    {
        return all.stream().map(TapLease::tapName).toList();
    }

    /** Deletes every tap; a leased one's VM should have ended first (a tap still open cannot be deleted and is logged). */
    @Override
    public synchronized void close()
    {
        if (!closed)
        {
            closed = true;
            if (free.size() != all.size())
            {
                LOG.warn("tap_pool.closing_with_leases prefix={} leased={}", settings.prefix(), all.size() - free.size());
            }
            all.forEach(lease -> deleteQuietly(maker, lease.tapName()));
            if (settings.isolation().enabled())
            {
                removeFirewallQuietly(settings.prefix(), firewall);
            }
            free.clear();
            lock.close();
        }
    }

    private static void deleteQuietly(final TapMaker maker, final String name)
    {
        try
        {
            maker.delete(name);
        }
        catch (final RuntimeException ex)
        {
            LOG.warn("tap_pool.delete_failed tap={} error=\"{}\"", name, ex.getMessage());
        }
    }

    static String format(final int address)
    {
        return (address >>> 24) + "." + ((address >>> 16) & 0xff) + "." + ((address >>> 8) & 0xff) + "." + (address & 0xff);
    }

    static Inet4Address address(final int value)
    {
        try
        {
            return (Inet4Address)InetAddress.getByAddress(new byte[] {(byte)(value >>> 24), (byte)(value >>> 16), (byte)(value >>> 8), (byte)value});
        }
        catch (final UnknownHostException ex)
        {
            throw new IllegalStateException(ex);
        }
    }

    /** Persistent taps: created once, kept up with their host address while VMs attach and detach. */
    private static final TapMaker NATIVE = new TapMaker()
    {
        @Override
        public void create(final String name, final Inet4Address host, final int prefixLength)
        {
            try (Tap tap = Tap.open(name))
            {
                tap.setPersistent(true);
            }
            NetDevice.setIpv4Address(name, host, prefixLength);
            NetDevice.up(name);
        }

        @Override
        public void delete(final String name)
        {
            NetDevice.deletePersistentTap(name);
        }

        @Override
        public int reclaim(final String prefix)
        {
            return TapPool.reclaim(prefix);
        }
    };
}
