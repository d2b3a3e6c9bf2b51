package dev.hatchery.kvm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.List;
import java.util.Set;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Runs as root where the tun module is loaded (./hatchery test: in the lab, or natively inside a network namespace
 * the launcher creates for it; {@link NetIsolation} refuses the host's own). Creates taps named hatchit*, removes
 * them, and sends nothing beyond them: the one frame written goes to a locally administered address with an
 * experimental ethertype, which the host stack drops.
 */
class TapIT
{
    private static final String NAME = "hatchit0";
    private static final String PERSISTENT = "hatchit1";
    private static final int FRAME_LENGTH = 60;
    private static final int MAX_FRAME = 65536 + Tap.VNET_HDR_SIZE;

    @BeforeAll
    static void checkIsolation()
    {
        System.out.println("TapIT: traffic isolation: " + NetIsolation.describe());
    }

    @AfterEach
    void removeLeftovers()
    {
        for (final String name : NetDevice.list("hatchit"))
        {
            NetDevice.deletePersistentTap(name);
        }
    }

    @Test
    void shouldCreateConfigureAndRemoveATap() throws Exception
    {
        try (Tap tap = Tap.open(NAME))
        {
            assertEquals(NAME, tap.name());
            assertTrue(NetDevice.exists(NAME));
            assertTrue(NetDevice.isTap(NAME));
            assertEquals(List.of(NAME), NetDevice.list(NAME));
            assertFalse(NetDevice.isUp(NAME));

            tap.setVnetHeaderSize(Tap.VNET_HDR_SIZE);
            tap.setOffload(Tap.TUN_F_CSUM | Tap.TUN_F_TSO4 | Tap.TUN_F_TSO6 | Tap.TUN_F_TSO_ECN);
            NetDevice.setIpv4Address(NAME, ipv4("10.213.0.1"), 30);
            NetDevice.up(NAME);

            assertTrue(NetDevice.isUp(NAME));
            assertEquals(NetDevice.IFF_UP, sysFlags(NAME) & NetDevice.IFF_UP);
            assertTrue(Set.of("up", "unknown").contains(sysValue(NAME, "operstate")), "operstate=" + sysValue(NAME, "operstate"));
            assertEquals("10.213.0.1", NetDevice.ipv4Address(NAME).getHostAddress());
            assertEquals("255.255.255.252", NetDevice.ipv4Netmask(NAME).getHostAddress());

            NetDevice.down(NAME);
            assertFalse(NetDevice.isUp(NAME));
            assertEquals(0, sysFlags(NAME) & NetDevice.IFF_UP);
        }
        assertFalse(NetDevice.exists(NAME), "a tap that is not persistent goes away with its descriptor");
        assertEquals(List.of(), NetDevice.list(NAME));
    }

    @Test
    void shouldReadAndWriteWithoutBlocking() throws Exception
    {
        try (Tap tap = Tap.open(NAME); Epoll epoll = Epoll.create())
        {
            NetDevice.up(NAME);
            final UnsafeBuffer frame = new UnsafeBuffer(ByteBuffer.allocateDirect(MAX_FRAME));
            int read = 0;
            int frames = 0;
            while (frames < 1000 && (read = tap.read(frame.addressOffset(), MAX_FRAME)) >= 0)
            {
                frames++;
            }
            assertEquals(-1, read, "nothing (more) queued: EAGAIN is -1, not an exception");

            epoll.add(tap.fd(), Epoll.EPOLLOUT, 99);
            final EpollEvents events = new EpollEvents(2);
            assertEquals(1, epoll.wait(events, 1000));
            assertEquals(99, events.token(0));
            assertEquals(Epoll.EPOLLOUT, events.events(0) & Epoll.EPOLLOUT);

            frame.setMemory(0, Tap.VNET_HDR_SIZE + FRAME_LENGTH, (byte)0);
            final int ethernet = Tap.VNET_HDR_SIZE;
            frame.putBytes(ethernet, new byte[] {0x02, 0, 0, 0, 0, 0x01, 0x02, 0, 0, 0, 0, 0x02, (byte)0x88, (byte)0xb5});
            assertEquals(Tap.VNET_HDR_SIZE + FRAME_LENGTH, tap.write(frame.addressOffset(), Tap.VNET_HDR_SIZE + FRAME_LENGTH));
        }
    }

    @Test
    void shouldRejectInvalidSettingsWithTheTapInTheMessage()
    {
        try (Tap tap = Tap.open(NAME))
        {
            final NativeCallException offload = assertThrows(NativeCallException.class, () -> tap.setOffload(Tap.TUN_F_TSO4));
            assertEquals("TUNSETOFFLOAD failed: tap=hatchit0 flags=0x2 errno=22 (EINVAL)", offload.getMessage());

            final NativeCallException size = assertThrows(NativeCallException.class, () -> tap.setVnetHeaderSize(4));
            assertEquals("TUNSETVNETHDRSZ failed: tap=hatchit0 size=4 errno=22 (EINVAL)", size.getMessage());
        }
    }

    @Test
    void shouldKeepAPersistentTapUntilDeleted()
    {
        try (Tap tap = Tap.open(PERSISTENT))
        {
            tap.setPersistent(true);
        }
        assertTrue(NetDevice.exists(PERSISTENT));
        assertEquals(List.of(PERSISTENT), NetDevice.list("hatchit"));

        try (Tap again = Tap.open(PERSISTENT))
        {
            final NativeCallException busy = assertThrows(NativeCallException.class, () -> NetDevice.deletePersistentTap(PERSISTENT));
            assertEquals("TUNSETIFF failed: name=hatchit1 flags=0x1002 errno=16 (EBUSY)", busy.getMessage());
        }
        assertTrue(NetDevice.exists(PERSISTENT), "still persistent after the second descriptor closed");

        assertTrue(NetDevice.deletePersistentTap(PERSISTENT));
        assertFalse(NetDevice.exists(PERSISTENT));
        assertFalse(NetDevice.deletePersistentTap(PERSISTENT));
    }

    @Test
    void shouldLetTheKernelNumberAPatternName()
    {
        try (Tap tap = Tap.open("hatchit%d"))
        {
            assertTrue(tap.name().matches("hatchit[0-9]+"), tap.name());
            assertTrue(NetDevice.isTap(tap.name()));
        }
    }

    @Test
    void shouldNeverTurnAnotherKindOfInterfaceIntoATapOrDeleteIt()
    {
        final NativeCallException open = assertThrows(NativeCallException.class, () -> Tap.open("lo"));
        assertEquals("TUNSETIFF failed: name=lo flags=0x5002 errno=22 (EINVAL)", open.getMessage());

        final NativeCallException delete = assertThrows(NativeCallException.class, () -> NetDevice.deletePersistentTap("lo"));
        assertEquals("TUNSETIFF failed: name=lo flags=0x1002 errno=22 (EINVAL)", delete.getMessage());
        assertTrue(NetDevice.exists("lo"));
    }

    private static Inet4Address ipv4(final String literal) throws IOException
    {
        return (Inet4Address)InetAddress.getByName(literal);
    }

    private static String sysValue(final String name, final String attribute) throws IOException
    {
        return Files.readString(Paths.get("/sys/class/net", name, attribute)).trim();
    }

    private static int sysFlags(final String name) throws IOException
    {
        return Integer.decode(sysValue(name, "flags"));
    }
}
