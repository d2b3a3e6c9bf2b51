package dev.hatchery.devices.virtio;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.nio.ByteOrder;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class SourceFilterTest
{
    static final byte[] MAC = {0x02, 0x11, 0x22, 0x33, 0x44, 0x55};
    static final byte[] OTHER_MAC = {0x02, 0x11, 0x22, 0x33, 0x44, 0x56};
    static final int GUEST = 0xac1e0002;
    static final int OTHER = 0xac1e0006;

    private final SourceFilter filter = new SourceFilter(MAC, address(GUEST));

    static Inet4Address address(final int value)
    {
        try
        {
            return (Inet4Address)InetAddress.getByAddress(new byte[] {(byte)(value >>> 24), (byte)(value >>> 16), (byte)(value >>> 8),
                (byte)value});
        }
        catch (final java.net.UnknownHostException ex)
        {
            throw new IllegalStateException(ex);
        }
    }

    /** An Ethernet frame (no vnet header): IPv4 from {@code source}, sent by {@code mac}. */
    static byte[] ipv4(final byte[] mac, final int source)
    {
        final UnsafeBuffer frame = new UnsafeBuffer(new byte[14 + 28]);
        frame.putBytes(0, new byte[] {-1, -1, -1, -1, -1, -1});
        frame.putBytes(6, mac);
        frame.putShort(12, (short)0x0800, ByteOrder.BIG_ENDIAN);
        frame.putByte(14, (byte)0x45);
        frame.putInt(14 + 12, source, ByteOrder.BIG_ENDIAN);
        frame.putInt(14 + 16, 0xac1e0001, ByteOrder.BIG_ENDIAN);
        return frame.byteArray();
    }

    /** An ARP request from {@code senderMac}/{@code senderIp}, in a frame sent by {@code mac}. */
    static byte[] arp(final byte[] mac, final byte[] senderMac, final int senderIp)
    {
        final UnsafeBuffer frame = new UnsafeBuffer(new byte[14 + 28]);
        frame.putBytes(6, mac);
        frame.putShort(12, (short)0x0806, ByteOrder.BIG_ENDIAN);
        frame.putShort(14, (short)1, ByteOrder.BIG_ENDIAN);
        frame.putShort(16, (short)0x0800, ByteOrder.BIG_ENDIAN);
        frame.putByte(18, (byte)6);
        frame.putByte(19, (byte)4);
        frame.putShort(20, (short)1, ByteOrder.BIG_ENDIAN);
        frame.putBytes(22, senderMac);
        frame.putInt(28, senderIp, ByteOrder.BIG_ENDIAN);
        frame.putInt(38, 0xac1e0001, ByteOrder.BIG_ENDIAN);
        return frame.byteArray();
    }

    private boolean permits(final byte[] frame)
    {
        return filter.permits(new UnsafeBuffer(frame), 0, frame.length);
    }

    @Test
    void shouldPermitIpv4AndArpFromTheGuestsOwnMacAndAddress()
    {
        assertTrue(permits(ipv4(MAC, GUEST)));
        assertTrue(permits(arp(MAC, MAC, GUEST)));
        assertTrue(permits(arp(MAC, MAC, 0)), "an ARP probe (sender 0.0.0.0) checks an address before using it");
    }

    @Test
    void shouldRefuseASpoofedSourceMacOrIp()
    {
        assertFalse(permits(ipv4(OTHER_MAC, GUEST)));
        assertFalse(permits(ipv4(MAC, OTHER)));
        assertFalse(permits(arp(OTHER_MAC, OTHER_MAC, GUEST)));
        assertFalse(permits(arp(MAC, OTHER_MAC, GUEST)), "ARP naming another MAC poisons caches");
        assertFalse(permits(arp(MAC, MAC, OTHER)));
    }

    @ParameterizedTest
    @ValueSource(ints = {0x86dd, 0x8100, 0x88a8, 0x88cc, 0x0000, 0xffff})
    void shouldRefuseEtherTypesOtherThanIpv4AndArp(final int etherType)
    {
        final byte[] frame = ipv4(MAC, GUEST);
        new UnsafeBuffer(frame).putShort(12, (short)etherType, ByteOrder.BIG_ENDIAN);
        assertFalse(permits(frame));
    }

    @Test
    void shouldRefuseFramesTooShortToShowTheirSource()
    {
        final byte[] ip = ipv4(MAC, GUEST);
        assertFalse(filter.permits(new UnsafeBuffer(ip), 0, 13));
        assertFalse(filter.permits(new UnsafeBuffer(ip), 0, 14 + 19));
        assertTrue(filter.permits(new UnsafeBuffer(ip), 0, 14 + 20));
        final byte[] request = arp(MAC, MAC, GUEST);
        assertFalse(filter.permits(new UnsafeBuffer(request), 0, 14 + 27));
    }

    @Test
    void shouldReadTheFrameAtItsIndex()
    {
        final byte[] frame = ipv4(MAC, GUEST);
        final byte[] shifted = new byte[frame.length + 12];
        System.arraycopy(frame, 0, shifted, 12, frame.length);
        assertTrue(filter.permits(new UnsafeBuffer(shifted), 12, frame.length));
    }

    @Test
    void shouldRefuseAMacOfTheWrongLength()
    {
        final IllegalArgumentException wrong = assertThrows(IllegalArgumentException.class,
            () -> new SourceFilter(new byte[] {1, 2, 3}, address(GUEST)));
        assertEquals("MAC must be 6 bytes: mac=01:02:03", wrong.getMessage());
    }
}
