package dev.hatchery.devices;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

class CloneIdentityDeviceTest
{
    private final UnsafeBuffer data = new UnsafeBuffer(new byte[8]);

    private static byte[] entropy()
    {
        final byte[] bytes = new byte[CloneIdentityDevice.ENTROPY_BYTES];
        for (int i = 0; i < bytes.length; i++)
        {
            bytes[i] = (byte)(i + 1);
        }
        return bytes;
    }

    private int readWord(final CloneIdentityDevice device, final int offset)
    {
        data.setMemory(0, 8, (byte)0x5a);
        device.read(offset, data, 0, 4);
        return data.getInt(0);
    }

    @Test
    void shouldAskForTheCaptureOnceWhenTheTemplatesGuestWritesReady()
    {
        final int[] asked = {0};
        final CloneIdentityDevice device = CloneIdentityDevice.template(() -> asked[0]++);
        data.putInt(0, 1);

        device.write(CloneIdentityDevice.READY, data, 0, 4);
        device.write(CloneIdentityDevice.READY, data, 0, 4);
        device.write(CloneIdentityDevice.CLONE, data, 0, 4);

        assertEquals(1, asked[0]);
        assertTrue(device.readySignalled());
        assertEquals(2, device.ignoredWrites());
    }

    @Test
    void shouldTellACloneItsNumberEntropyAndTheHostsWallClock()
    {
        final CloneIdentityDevice device = CloneIdentityDevice.clone(new CloneIdentityDevice.Identity(42, entropy()));
        final long before = Instant.now().getEpochSecond();

        assertEquals(42, readWord(device, CloneIdentityDevice.CLONE));
        final long seconds = Integer.toUnsignedLong(readWord(device, CloneIdentityDevice.TIME_SEC));
        final int nanos = readWord(device, CloneIdentityDevice.TIME_NSEC);
        final byte[] seen = new byte[CloneIdentityDevice.ENTROPY_BYTES];
        for (int i = 0; i < seen.length; i += 4)
        {
            data.putInt(0, readWord(device, CloneIdentityDevice.ENTROPY + i));
            data.getBytes(0, seen, i, 4);
        }

        assertTrue(seconds >= before && seconds <= Instant.now().getEpochSecond(), "seconds=" + seconds);
        assertTrue(nanos >= 0 && nanos < 1_000_000_000, "nanos=" + nanos);
        assertArrayEquals(entropy(), seen);
        data.putInt(0, 1);
        device.write(CloneIdentityDevice.READY, data, 0, 4);
        assertFalse(device.readySignalled(), "a clone is past its ready point: READY changes nothing");
        assertEquals(1, device.ignoredWrites());
    }

    @Test
    void shouldReadZerosOutsideItsRegistersAndInAVmThatIsNoClone()
    {
        final CloneIdentityDevice clone = CloneIdentityDevice.clone(new CloneIdentityDevice.Identity(7, entropy()));
        final CloneIdentityDevice none = CloneIdentityDevice.none();

        assertEquals(0, readWord(clone, 0x48));
        assertEquals(0, readWord(clone, CloneIdentityDevice.NET_FLAGS), "no network");
        assertEquals(0, readWord(clone, 0x7fc));
        assertEquals(0, readWord(none, CloneIdentityDevice.CLONE));
        assertEquals(0, readWord(none, CloneIdentityDevice.ENTROPY));
        data.putInt(0, 1);
        none.write(CloneIdentityDevice.READY, data, 0, 4);
        assertEquals(1, none.ignoredWrites());
    }

    @Test
    void shouldReadTheLastEntropyWordsWithAWideAccessThatRunsPastThemAsZeros()
    {
        final CloneIdentityDevice device = CloneIdentityDevice.clone(new CloneIdentityDevice.Identity(1, entropy()));
        data.setMemory(0, 8, (byte)0x5a);

        device.read(CloneIdentityDevice.ENTROPY + CloneIdentityDevice.ENTROPY_BYTES - 4, data, 0, 8);

        assertEquals(0x201f1e1d, data.getInt(0));
        assertEquals(0, data.getInt(4));
    }

    @Test
    void shouldTellANetworkedCloneItsAddressNetmaskPeerAndMacInNetworkOrder()
    {
        final CloneIdentityDevice.Network network = new CloneIdentityDevice.Network(new byte[] {10, (byte)200, 0, 6},
            new byte[] {(byte)255, (byte)255, (byte)255, (byte)252}, new byte[] {10, (byte)200, 0, 5}, new byte[] {2, 0, 0, 0, 0, 9});
        final CloneIdentityDevice device = CloneIdentityDevice.clone(new CloneIdentityDevice.Identity(3, entropy(), network));
        final byte[] seen = new byte[8];

        assertEquals(1, readWord(device, CloneIdentityDevice.NET_FLAGS));
        data.putInt(0, readWord(device, CloneIdentityDevice.IPV4));
        data.getBytes(0, seen, 0, 4);
        data.putInt(0, readWord(device, CloneIdentityDevice.PEER));
        data.getBytes(0, seen, 4, 4);
        assertArrayEquals(new byte[] {10, (byte)200, 0, 6, 10, (byte)200, 0, 5}, seen);
        data.putInt(0, readWord(device, CloneIdentityDevice.NETMASK));
        assertEquals(0xfcffffff, data.getInt(0));
        device.read(CloneIdentityDevice.MAC, data, 0, 8);
        assertArrayEquals(new byte[] {2, 0, 0, 0, 0, 9, 0, 0}, java.util.Arrays.copyOf(data.byteArray(), 8));
    }

    @Test
    void shouldRefuseEntropyOfTheWrongLength()
    {
        final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class,
            () -> new CloneIdentityDevice.Identity(1, new byte[16]));

        assertEquals("a clone's entropy is 32 bytes: got 16", ex.getMessage());
    }
}
