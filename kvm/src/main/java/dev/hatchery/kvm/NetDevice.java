package dev.hatchery.kvm;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.Inet4Address;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.Objects;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * Host-side interface configuration for the tap pool: existence, up/down, an IPv4 address, and removing
 * persistent taps left behind by an earlier run. Reading needs no privileges; changing needs CAP_NET_ADMIN
 * ({@link NetAdminRequiredException}).
 */
public final class NetDevice
{
    public static final int IFF_UP = 0x1;
    public static final int IFF_BROADCAST = 0x2;
    public static final int IFF_LOOPBACK = 0x8;
    public static final int IFF_RUNNING = 0x40;

    static final String SYS_CLASS_NET = "/sys/class/net";
    static final int AF_INET = 2;
    static final int SOCK_DGRAM = 2;
    static final int SOCK_CLOEXEC = 0x80000;

    private NetDevice()
    {
    }

    /** The interface index, or 0 when there is no interface of that name. */
    public static int index(final String name)
    {
        return LibC.if_nametoindex(Objects.requireNonNull(name, "name"));
    }

    public static boolean exists(final String name)
    {
        return index(name) != 0;
    }

    /** True for a tun/tap interface created in tap mode (its /sys/class/net/NAME/tun_flags has IFF_TAP). */
    public static boolean isTap(final String name)
    {
        IfReq.checkName(name);
        try
        {
            final String flags = Files.readString(Paths.get(SYS_CLASS_NET, name, "tun_flags")).trim();
            return (Integer.decode(flags) & Tap.IFF_TAP) != 0;
        }
        catch (final NoSuchFileException ex)
        {
            return false;
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("cannot read tun_flags of " + name + ": " + ex.getMessage(), ex);
        }
    }

    /** The names in /sys/class/net starting with {@code prefix}, sorted: leftovers of an earlier run to reclaim. */
    public static List<String> list(final String prefix)
    {
        try (Stream<Path> entries = Files.list(Paths.get(SYS_CLASS_NET)))
        {
            return entries.map(entry -> entry.getFileName().toString()).filter(name -> name.startsWith(prefix)).sorted()
                .collect(Collectors.toList());
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("cannot list " + SYS_CLASS_NET + ": " + ex.getMessage(), ex);
        }
    }

    /** SIOCGIFFLAGS: the low 16 IFF_* bits (IFF_UP, IFF_RUNNING, ...). */
    public static int flags(final String name)
    {
        final IfReq ifreq = new IfReq(name);
        interfaceIoctl(NetIoctls.SIOCGIFFLAGS, ifreq, "reading interface " + name, "SIOCGIFFLAGS", "name", name);
        return ifreq.flags();
    }

    public static boolean isUp(final String name)
    {
        return (flags(name) & IFF_UP) != 0;
    }

    public static void up(final String name)
    {
        setUp(name, true);
    }

    public static void down(final String name)
    {
        setUp(name, false);
    }

    /** SIOCSIFADDR then SIOCSIFNETMASK, e.g. 10.213.0.1/30. */
    public static void setIpv4Address(final String name, final Inet4Address address, final int prefixLength)
    {
        final Inet4Address netmask = netmask(prefixLength);
        final IfReq ifreq = new IfReq(name);
        ifreq.ipv4Address(address);
        interfaceIoctl(NetIoctls.SIOCSIFADDR, ifreq, "configuring interface " + name, "SIOCSIFADDR",
            "name", name, "addr", address.getHostAddress());
        ifreq.ipv4Address(netmask);
        interfaceIoctl(NetIoctls.SIOCSIFNETMASK, ifreq, "configuring interface " + name, "SIOCSIFNETMASK",
            "name", name, "netmask", netmask.getHostAddress());
    }

    /** SIOCGIFADDR: fails with EADDRNOTAVAIL when the interface has no IPv4 address. */
    public static Inet4Address ipv4Address(final String name)
    {
        final IfReq ifreq = new IfReq(name);
        interfaceIoctl(NetIoctls.SIOCGIFADDR, ifreq, "reading interface " + name, "SIOCGIFADDR", "name", name);
        return ifreq.ipv4Address();
    }

    public static Inet4Address ipv4Netmask(final String name)
    {
        final IfReq ifreq = new IfReq(name);
        interfaceIoctl(NetIoctls.SIOCGIFNETMASK, ifreq, "reading interface " + name, "SIOCGIFNETMASK", "name", name);
        return ifreq.ipv4Address();
    }

    /**
     * Removes a persistent tap: attaches to it, clears TUNSETPERSIST and closes. False when no interface has
     * that name. TUNSETIFF refuses a name that is not a tap (EINVAL) and a tap still open elsewhere (EBUSY),
     * so this never removes anything else.
     */
    public static boolean deletePersistentTap(final String name)
    {
        final IfReq ifreq = new IfReq(name);
        if (!exists(name))
        {
            return false;
        }
        final int flags = Tap.IFF_TAP | Tap.IFF_NO_PI;
        ifreq.flags(flags);
        final int fd = Syscalls.open(Tap.TUN_PATH, LibC.O_RDWR | LibC.O_NONBLOCK);
        try
        {
            Syscalls.netIoctl(fd, NetIoctls.TUNSETIFF, ifreq.address(), "deleting tap " + name, "TUNSETIFF",
                "name", name, "flags", Tap.hex(flags));
            Syscalls.netIoctl(fd, NetIoctls.TUNSETPERSIST, 0, "deleting tap " + name, "TUNSETPERSIST", "tap", name, "persist", 0);
        }
        finally
        {
            Syscalls.close(fd);
        }
        return true;
    }

    /** The IPv4 netmask of a prefix length, e.g. 30 → 255.255.255.252. */
    static Inet4Address netmask(final int prefixLength)
    {
        if (prefixLength < 0 || prefixLength > 32)
        {
            throw new IllegalArgumentException("IPv4 prefix length must be 0 to 32: prefixLength=" + prefixLength);
        }
        final int mask = prefixLength == 0 ? 0 : -1 << (32 - prefixLength);
        return IfReq.ipv4(new byte[] {(byte)(mask >>> 24), (byte)(mask >>> 16), (byte)(mask >>> 8), (byte)mask});
    }

    private static void setUp(final String name, final boolean up)
    {
        final IfReq ifreq = new IfReq(name);
        interfaceIoctl(NetIoctls.SIOCGIFFLAGS, ifreq, "reading interface " + name, "SIOCGIFFLAGS", "name", name);
        final int flags = up ? ifreq.flags() | IFF_UP : ifreq.flags() & ~IFF_UP;
        ifreq.flags(flags);
        interfaceIoctl(NetIoctls.SIOCSIFFLAGS, ifreq, "configuring interface " + name, "SIOCSIFFLAGS",
            "name", name, "flags", Tap.hex(flags));
    }

    /** An SIOC*IF* request on a throwaway AF_INET datagram socket, the descriptor these requests need. */
    private static void interfaceIoctl(final long request, final IfReq ifreq, final String action, final String call, final Object... facts)
    {
        final int socket = Syscalls.socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        try
        {
            Syscalls.netIoctl(socket, request, ifreq.address(), action, call, facts);
        }
        finally
        {
            Syscalls.close(socket);
        }
    }
}
