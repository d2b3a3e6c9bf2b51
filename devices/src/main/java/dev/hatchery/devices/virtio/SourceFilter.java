package dev.hatchery.devices.virtio;

import java.net.Inet4Address;
import java.nio.ByteOrder;
import java.util.Objects;

import org.agrona.DirectBuffer;

/**
 * Lets a guest send only as itself: Ethernet frames whose source MAC is its device's MAC and that carry either IPv4
 * from its own address or ARP that names its own MAC and address (or 0.0.0.0, an address probe). Everything else —
 * another source, IPv6, VLAN tags, other EtherTypes, frames too short to say — is dropped before the tap, so a guest
 * cannot pose as another guest or host even where the host's filters would let the frame through.
 */
public final class SourceFilter
{
    static final int ETHERNET_HEADER = 14;
    static final int ETHERTYPE_OFFSET = 12;
    static final int SOURCE_MAC_OFFSET = 6;
    static final int ETHERTYPE_IPV4 = 0x0800;
    static final int ETHERTYPE_ARP = 0x0806;
    static final int IPV4_MIN_HEADER = 20;
    static final int IPV4_SOURCE_OFFSET = 12;
    static final int ARP_LENGTH = 28;
    static final int ARP_SENDER_MAC_OFFSET = 8;
    static final int ARP_SENDER_IP_OFFSET = 14;

    private final byte[] mac;
    private final int address;

    /** @param address the guest's IPv4 address */
    public SourceFilter(final byte[] mac, final Inet4Address address)
    {
        Objects.requireNonNull(mac, "mac");
        if (mac.length != VirtioNet.MAC_LENGTH)
        {
            throw new IllegalArgumentException("MAC must be 6 bytes: mac=" + VirtioNet.formatMac(mac));
        }
        this.mac = mac.clone();
        final byte[] bytes = Objects.requireNonNull(address, "address").getAddress();
        this.address = (bytes[0] & 0xff) << 24 | (bytes[1] & 0xff) << 16 | (bytes[2] & 0xff) << 8 | (bytes[3] & 0xff);
    }

    /** Whether the Ethernet frame at {@code index}, {@code length} bytes (no vnet header), is the guest's own. */
    public boolean permits(final DirectBuffer frame, final int index, final int length)
    {
        if (length < ETHERNET_HEADER || !sameMac(frame, index + SOURCE_MAC_OFFSET))
        {
            return false;
        }
        final int etherType = frame.getShort(index + ETHERTYPE_OFFSET, ByteOrder.BIG_ENDIAN) & 0xffff;
        final int payload = index + ETHERNET_HEADER;
        if (etherType == ETHERTYPE_IPV4)
        {
            return length >= ETHERNET_HEADER + IPV4_MIN_HEADER
                && frame.getInt(payload + IPV4_SOURCE_OFFSET, ByteOrder.BIG_ENDIAN) == address;
        }
        if (etherType == ETHERTYPE_ARP)
        {
            if (length < ETHERNET_HEADER + ARP_LENGTH || !sameMac(frame, payload + ARP_SENDER_MAC_OFFSET))
            {
                return false;
            }
            final int sender = frame.getInt(payload + ARP_SENDER_IP_OFFSET, ByteOrder.BIG_ENDIAN);
            return sender == address || sender == 0;
        }
        return false;
    }

    private boolean sameMac(final DirectBuffer frame, final int index)
    {
        for (int i = 0; i < mac.length; i++)
        {
            if (frame.getByte(index + i) != mac[i])
            {
                return false;
            }
        }
        return true;
    }
}
