package dev.hatchery.kvm;

/**
 * A tap interface opened through /dev/net/tun with IFF_TAP | IFF_NO_PI | IFF_VNET_HDR: every frame read or
 * written starts with a {@link #VNET_HDR_SIZE}-byte virtio_net_hdr_v1. The descriptor is non-blocking and
 * close-on-exec; closing it removes the interface unless it was made persistent. One owner closes it, after
 * the threads that read or write it have stopped.
 */
public final class Tap implements AutoCloseable
{
    public static final String TUN_PATH = "/dev/net/tun";

    static final int IFF_TAP = 0x0002;
    static final int IFF_NO_PI = 0x1000;
    static final int IFF_VNET_HDR = 0x4000;
    static final int TAP_FLAGS = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR;

    /** TUNSETOFFLOAD bits (linux/if_tun.h): what the guest accepts, from its acked virtio-net features. */
    public static final int TUN_F_CSUM = 0x01;
    public static final int TUN_F_TSO4 = 0x02;
    public static final int TUN_F_TSO6 = 0x04;
    public static final int TUN_F_TSO_ECN = 0x08;
    public static final int TUN_F_UFO = 0x10;

    /** struct virtio_net_hdr_v1 (virtio 1.0: the legacy header plus num_buffers). */
    public static final int VNET_HDR_SIZE = 12;

    private final int fd;
    private final String name;
    private boolean closed;

    private Tap(final int fd, final String name)
    {
        this.fd = fd;
        this.name = name;
    }

    /**
     * Creates the tap {@code name}, or attaches to it if it exists as a persistent tap, and sets the vnet header
     * size to {@link #VNET_HDR_SIZE}. Creating one needs CAP_NET_ADMIN ({@link NetAdminRequiredException}); a
     * name that belongs to an interface other than a tap fails with EINVAL, one already open elsewhere with EBUSY.
     */
    public static Tap open(final String name)
    {
        final IfReq ifreq = new IfReq(name);
        ifreq.flags(TAP_FLAGS);
        final int fd = Syscalls.open(TUN_PATH, LibC.O_RDWR | LibC.O_NONBLOCK);
        try
        {
            Syscalls.netIoctl(fd, NetIoctls.TUNSETIFF, ifreq.address(), "creating tap " + name, "TUNSETIFF",
                "name", name, "flags", hex(TAP_FLAGS));
            final Tap tap = new Tap(fd, ifreq.name());
            tap.setVnetHeaderSize(VNET_HDR_SIZE);
            return tap;
        }
        catch (final RuntimeException ex)
        {
            Syscalls.close(fd);
            throw ex;
        }
    }

    /** The interface name the kernel gave it (the same as asked for, unless that was a "%d" pattern). */
    public String name()
    {
        return name;
    }

    public int fd()
    {
        return fd;
    }

    /** TUNSETVNETHDRSZ: at least 10 (the legacy virtio_net_hdr). */
    public void setVnetHeaderSize(final int size)
    {
        final IntArg arg = new IntArg(size);
        Syscalls.netIoctl(fd, NetIoctls.TUNSETVNETHDRSZ, arg.address(), "configuring tap " + name, "TUNSETVNETHDRSZ",
            "tap", name, "size", size);
    }

    /**
     * TUNSETOFFLOAD with TUN_F_* bits: which offloads the kernel may hand us (and so the guest) unfinished. The
     * kernel rejects bits it does not know, and TSO bits without TUN_F_CSUM, with EINVAL.
     */
    public void setOffload(final int flags)
    {
        Syscalls.netIoctl(fd, NetIoctls.TUNSETOFFLOAD, flags & 0xffffffffL, "configuring tap " + name, "TUNSETOFFLOAD",
            "tap", name, "flags", hex(flags));
    }

    /** TUNSETPERSIST: a persistent tap outlives this descriptor (pre-created pools); remove it with {@link NetDevice#deletePersistentTap}. */
    public void setPersistent(final boolean persistent)
    {
        Syscalls.netIoctl(fd, NetIoctls.TUNSETPERSIST, persistent ? 1 : 0, "configuring tap " + name, "TUNSETPERSIST",
            "tap", name, "persist", persistent ? 1 : 0);
    }

    /** Reads one frame (vnet header included) into {@code address}: its length, or -1 when none is queued. */
    public int read(final long address, final int length)
    {
        return (int)Syscalls.readNonBlocking(fd, address, length, "tap", name, "length", length);
    }

    /** Writes one frame (vnet header included) from {@code address}: the bytes taken, or -1 when the tap cannot take it now. */
    public int write(final long address, final int length)
    {
        return (int)Syscalls.writeNonBlocking(fd, address, length, "tap", name, "length", length);
    }

    @Override
    public synchronized void close()
    {
        if (!closed)
        {
            closed = true;
            Syscalls.close(fd);
        }
    }

    static String hex(final int value)
    {
        return "0x" + Integer.toHexString(value);
    }

    /** An int passed to an ioctl by pointer. */
    private static final class IntArg extends NativeStruct
    {
        IntArg(final int value)
        {
            super(4);
            buffer.putInt(0, value);
        }
    }
}
