package dev.hatchery.kvm;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;

/**
 * struct ifreq (linux/if.h, x86-64, 40 bytes): the interface name, then a union that holds the flags
 * (short) or a struct sockaddr_in. Offsets pinned against this machine's headers by NativeLayoutTest.
 */
final class IfReq extends NativeStruct
{
    static final int SIZE = 40;
    static final int IFNAMSIZ = 16;
    static final int NAME_OFFSET = 0;
    /** ifr_flags: a short, so only the low 16 IFF_* bits. */
    static final int FLAGS_OFFSET = 16;
    /** ifr_addr / ifr_netmask, as struct sockaddr_in. */
    static final int ADDR_OFFSET = 16;
    static final int SIN_FAMILY_OFFSET = ADDR_OFFSET;
    static final int SIN_PORT_OFFSET = ADDR_OFFSET + 2;
    static final int SIN_ADDR_OFFSET = ADDR_OFFSET + 4;

    static final short AF_INET = 2;

    IfReq(final String name)
    {
        super(SIZE);
        checkName(name);
        final byte[] bytes = name.getBytes(StandardCharsets.US_ASCII);
        buffer.putBytes(NAME_OFFSET, bytes);
    }

    /**
     * Rejects what the kernel's dev_valid_name() rejects (empty, "." or "..", 16 bytes or more, '/', ':' or
     * whitespace), and anything but printable ASCII, before a name reaches an ioctl.
     */
    static void checkName(final String name)
    {
        boolean valid = name != null && !name.isEmpty() && name.length() < IFNAMSIZ && !".".equals(name) && !"..".equals(name);
        for (int i = 0; valid && i < name.length(); i++)
        {
            final char c = name.charAt(i);
            valid = c > ' ' && c < 0x7f && c != '/' && c != ':';
        }
        if (!valid)
        {
            throw new IllegalArgumentException("invalid interface name: name=\"" + name
                + "\" (1 to 15 printable ASCII characters, no '/', ':' or whitespace, not \".\" or \"..\")");
        }
    }

    /** The name as the kernel left it (TUNSETIFF writes back the name it chose for a "%d" pattern). */
    String name()
    {
        int length = 0;
        while (length < IFNAMSIZ && buffer.getByte(NAME_OFFSET + length) != 0)
        {
            length++;
        }
        final byte[] bytes = new byte[length];
        buffer.getBytes(NAME_OFFSET, bytes);
        return new String(bytes, StandardCharsets.US_ASCII);
    }

    void flags(final int flags)
    {
        buffer.putShort(FLAGS_OFFSET, (short)flags);
    }

    int flags()
    {
        return buffer.getShort(FLAGS_OFFSET) & 0xffff;
    }

    void ipv4Address(final Inet4Address address)
    {
        buffer.setMemory(ADDR_OFFSET, SIZE - ADDR_OFFSET, (byte)0);
        buffer.putShort(SIN_FAMILY_OFFSET, AF_INET);
        buffer.putBytes(SIN_ADDR_OFFSET, address.getAddress());
    }

    Inet4Address ipv4Address()
    {
        final byte[] bytes = new byte[4];
        buffer.getBytes(SIN_ADDR_OFFSET, bytes);
        return ipv4(bytes);
    }

    static Inet4Address ipv4(final byte[] bytes)
    {
        try
        {
            return (Inet4Address)InetAddress.getByAddress(bytes);
        }
        catch (final UnknownHostException ex)
        {
            throw new IllegalArgumentException("not an IPv4 address: length=" + bytes.length, ex);
        }
    }
}
