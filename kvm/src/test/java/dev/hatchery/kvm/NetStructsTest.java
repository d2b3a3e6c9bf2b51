package dev.hatchery.kvm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.net.Inet4Address;
import java.net.InetAddress;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** How the net structs are filled in; NativeLayoutTest pins their offsets against the headers. */
class NetStructsTest
{
    @Test
    void shouldPutTheNameFirstAndTheFlagsAtSixteenInA40ByteIfreq()
    {
        final IfReq ifreq = new IfReq("hatch0");
        ifreq.flags(Tap.TAP_FLAGS);

        assertEquals(40, ifreq.buffer.capacity());
        assertEquals('h', ifreq.buffer.getByte(0));
        assertEquals('0', ifreq.buffer.getByte(5));
        assertEquals(0, ifreq.buffer.getByte(6));
        assertEquals(0x5002, ifreq.buffer.getShort(16));
        assertEquals(0x5002, ifreq.flags());
        assertEquals("hatch0", ifreq.name());
    }

    @Test
    void shouldReadFlagsAsUnsigned()
    {
        final IfReq ifreq = new IfReq("hatch0");
        ifreq.flags(0x9043);

        assertEquals(0x9043, ifreq.flags());
    }

    @Test
    void shouldEncodeASockaddrInInTheIfreqUnion() throws Exception
    {
        final IfReq ifreq = new IfReq("hatch0");
        ifreq.ipv4Address((Inet4Address)InetAddress.getByName("10.213.0.1"));

        assertEquals(2, ifreq.buffer.getShort(16));
        assertEquals(0, ifreq.buffer.getShort(18));
        assertEquals(10, ifreq.buffer.getByte(20));
        assertEquals((byte)213, ifreq.buffer.getByte(21));
        assertEquals(0, ifreq.buffer.getByte(22));
        assertEquals(1, ifreq.buffer.getByte(23));
        assertEquals("10.213.0.1", ifreq.ipv4Address().getHostAddress());
    }

    @Test
    void shouldUseTheWholeNameWhenItIsFifteenCharacters()
    {
        assertEquals("abcdefghijklmno", new IfReq("abcdefghijklmno").name());
    }

    @ParameterizedTest
    @ValueSource(strings = {"", ".", "..", "abcdefghijklmnop", "a/b", "a:b", "a b", "tab\t", "caf\u00e9"})
    void shouldRejectNamesTheKernelWouldRefuse(final String name)
    {
        final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, () -> new IfReq(name));

        assertEquals("invalid interface name: name=\"" + name
            + "\" (1 to 15 printable ASCII characters, no '/', ':' or whitespace, not \".\" or \"..\")", ex.getMessage());
    }

    @ParameterizedTest
    @CsvSource({"0, 0.0.0.0", "8, 255.0.0.0", "24, 255.255.255.0", "30, 255.255.255.252", "32, 255.255.255.255"})
    void shouldTurnAPrefixLengthIntoANetmask(final int prefixLength, final String netmask)
    {
        assertEquals(netmask, NetDevice.netmask(prefixLength).getHostAddress());
    }

    @ParameterizedTest
    @ValueSource(ints = {-1, 33})
    void shouldRejectPrefixLengthsOutsideIpv4(final int prefixLength)
    {
        final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, () -> NetDevice.netmask(prefixLength));

        assertEquals("IPv4 prefix length must be 0 to 32: prefixLength=" + prefixLength, ex.getMessage());
    }

    @Test
    void shouldLayOutKvmIoeventfd()
    {
        final KvmIoeventfd request = new KvmIoeventfd(1, 0xd0001050L, 4, 17,
            KvmIoeventfd.FLAG_DATAMATCH | KvmIoeventfd.FLAG_DEASSIGN);

        assertEquals(64, request.buffer.capacity());
        assertEquals(1, request.buffer.getLong(0));
        assertEquals(0xd0001050L, request.buffer.getLong(8));
        assertEquals(4, request.buffer.getInt(16));
        assertEquals(17, request.buffer.getInt(20));
        assertEquals(5, request.buffer.getInt(24));
        for (int offset = 28; offset < 64; offset++)
        {
            assertEquals(0, request.buffer.getByte(offset), "pad at " + offset);
        }
    }

    @Test
    void shouldLayOutKvmIrqfd()
    {
        final KvmIrqfd request = new KvmIrqfd(17, 5, KvmIrqfd.FLAG_DEASSIGN);

        assertEquals(32, request.buffer.capacity());
        assertEquals(17, request.buffer.getInt(0));
        assertEquals(5, request.buffer.getInt(4));
        assertEquals(1, request.buffer.getInt(8));
        assertEquals(0, request.buffer.getInt(12));
    }

    @Test
    void shouldSayWhichCapabilityIsMissingAndForWhat()
    {
        final NetAdminRequiredException ex = new NetAdminRequiredException("TUNSETIFF", "name=hatch0 flags=0x5002", Errno.EPERM,
            "creating tap hatch0");

        assertEquals("TUNSETIFF failed: name=hatch0 flags=0x5002 errno=1 (EPERM): creating tap hatch0 needs CAP_NET_ADMIN;"
            + " run as root or grant the capability (e.g. setcap cap_net_admin+ep on the java binary)", ex.getMessage());
        assertEquals("TUNSETIFF", ex.call());
        assertEquals("EPERM", ex.errnoName());
    }
}
