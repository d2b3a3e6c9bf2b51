package dev.hatchery.devices.virtio;

import static dev.hatchery.devices.virtio.TestDriver.DATA;
import static dev.hatchery.devices.virtio.TestDriver.frame;
import static dev.hatchery.devices.virtio.VirtioNet.RX_QUEUE;
import static dev.hatchery.devices.virtio.VirtioNet.TX_QUEUE;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteOrder;
import java.util.Arrays;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class VirtioNetTest
{
    private static final int WRITE = 2;
    private static final int NEXT = 1;

    private final TestDriver driver = new TestDriver();

    @AfterEach
    void close()
    {
        driver.close();
    }

    @Test
    void shouldSendWholeFrameWithHeaderWhenTxChainSpansDescriptors()
    {
        driver.start(8);
        final byte[] frame = frame(12 + 60, 7);
        // Header alone, then the packet split unevenly, out of index order.
        driver.ram.putBytes((int)DATA, frame, 0, 12);
        driver.ram.putBytes((int)DATA + 0x1000, frame, 12, 25);
        driver.ram.putBytes((int)DATA + 0x3000, frame, 37, 35);
        driver.descriptor(TX_QUEUE, 5, DATA, 12, NEXT, 2);
        driver.descriptor(TX_QUEUE, 2, DATA + 0x1000, 25, NEXT, 7);
        driver.descriptor(TX_QUEUE, 7, DATA + 0x3000, 35, 0, 0);
        driver.offer(TX_QUEUE, 5);

        driver.transport.notifyQueue(TX_QUEUE);

        assertEquals(1, driver.port.sent.size());
        assertArrayEquals(frame, driver.port.sent.get(0));
        assertEquals(1, driver.usedIdx(TX_QUEUE));
        assertEquals(5, driver.usedId(TX_QUEUE, 0));
        assertEquals(0, driver.usedLength(TX_QUEUE, 0));
        assertEquals(1, driver.interrupts.count);
        assertEquals(1, driver.net.txFrames());
        assertEquals(60, driver.net.txBytes());
        assertTrue(driver.port.offHeapBuffers);
    }

    @Test
    void shouldSendEveryFrameAndInterruptOnceWhenSeveralChainsAreAvailable()
    {
        driver.start(8);
        for (int i = 0; i < 5; i++)
        {
            driver.ram.putBytes((int)DATA + 0x100 * i, frame(40 + i, i));
            driver.descriptor(TX_QUEUE, i, DATA + 0x100 * i, 40 + i, 0, 0);
            driver.offer(TX_QUEUE, i);
        }

        driver.transport.notifyQueue(TX_QUEUE);

        assertEquals(5, driver.port.sent.size());
        for (int i = 0; i < 5; i++)
        {
            assertArrayEquals(frame(40 + i, i), driver.port.sent.get(i));
            assertEquals(i, driver.usedId(TX_QUEUE, i));
        }
        assertEquals(5, driver.usedIdx(TX_QUEUE));
        assertEquals(1, driver.interrupts.count);
    }

    @Test
    void shouldDropAndReturnChainWhenTxFrameIsShorterThanHeader()
    {
        driver.start(8);

        driver.transmit(0, DATA, frame(11, 0));

        assertEquals(0, driver.port.sent.size());
        assertEquals(1, driver.net.txDropped());
        assertEquals(1, driver.usedIdx(TX_QUEUE));
        assertFalse(driver.transport.needsReset());
    }

    @Test
    void shouldDropAndReturnChainWhenPortCannotTakeFrameNow()
    {
        driver.start(8);
        driver.port.writeResult = -1;

        driver.transmit(0, DATA, frame(60, 0));

        assertEquals(1, driver.net.txDropped());
        assertEquals(0, driver.net.portErrors());
        assertEquals(1, driver.usedIdx(TX_QUEUE));
    }

    @Test
    void shouldCountPortErrorAndStayUpWhenPortThrowsOnWrite()
    {
        driver.start(8);
        driver.port.failure = new IllegalStateException("write failed: errno=5 (EIO)");

        assertDoesNotThrow(() -> driver.transmit(0, DATA, frame(60, 0)));

        assertEquals(1, driver.net.txDropped());
        assertEquals(1, driver.net.portErrors());
        assertEquals(1, driver.usedIdx(TX_QUEUE));
        assertFalse(driver.transport.needsReset());
        driver.port.failure = null;
        driver.transmit(1, DATA, frame(60, 1));
        assertEquals(1, driver.port.sent.size());
    }

    @Test
    void shouldKeepRxChainAndStayUpWhenPortThrowsOnRead()
    {
        driver.start(8);
        driver.descriptor(RX_QUEUE, 0, DATA, 2048, WRITE, 0);
        driver.offer(RX_QUEUE, 0);
        driver.port.failure = new IllegalStateException("read failed: errno=77 (EBADFD)");

        assertDoesNotThrow(() -> driver.net.onPacketsReadable());

        assertEquals(1, driver.net.portErrors());
        assertEquals(0, driver.usedIdx(RX_QUEUE));
        driver.port.failure = null;
        driver.port.inbound.add(frame(60, 1));
        driver.net.onPacketsReadable();
        assertEquals(1, driver.usedIdx(RX_QUEUE));
        assertFalse(driver.transport.needsReset());
    }

    @Test
    void shouldScatterFrameAndReportLengthWhenRxChainIsAvailable()
    {
        driver.start(8);
        // Header buffer then two data buffers, as Linux's "big packets" mode posts them.
        driver.descriptor(RX_QUEUE, 3, DATA, 12, WRITE | NEXT, 4);
        driver.descriptor(RX_QUEUE, 4, DATA + 0x1000, 50, WRITE | NEXT, 6);
        driver.descriptor(RX_QUEUE, 6, DATA + 0x2000, 1500, WRITE, 0);
        driver.offer(RX_QUEUE, 3);
        driver.transport.notifyQueue(RX_QUEUE);
        final byte[] frame = frame(12 + 98, 3);
        driver.port.inbound.add(frame.clone());

        driver.net.onPacketsReadable();

        final byte[] expected = frame.clone();
        expected[10] = 1;
        expected[11] = 0;
        final byte[] received = new byte[frame.length];
        driver.ram.getBytes((int)DATA, received, 0, 12);
        driver.ram.getBytes((int)DATA + 0x1000, received, 12, 50);
        driver.ram.getBytes((int)DATA + 0x2000, received, 62, 48);
        assertArrayEquals(expected, received);
        assertEquals(0, driver.ram.getByte((int)DATA + 0x2000 + 48));
        assertEquals(1, driver.usedIdx(RX_QUEUE));
        assertEquals(3, driver.usedId(RX_QUEUE, 0));
        assertEquals(frame.length, driver.usedLength(RX_QUEUE, 0));
        assertEquals(1, driver.interrupts.count);
        assertEquals(1, driver.net.rxFrames());
        assertEquals(98, driver.net.rxBytes());
    }

    @Test
    void shouldLeaveFramesInPortWhenNoRxBuffersAndResumeOnRxNotify()
    {
        driver.start(8);
        for (int i = 0; i < 3; i++)
        {
            driver.port.inbound.add(frame(60, i));
        }
        driver.descriptor(RX_QUEUE, 0, DATA, 2048, WRITE, 0);
        driver.offer(RX_QUEUE, 0);

        driver.net.onPacketsReadable();

        assertEquals(1, driver.usedIdx(RX_QUEUE));
        assertEquals(2, driver.port.inbound.size());
        assertEquals(1, driver.interrupts.count);

        driver.descriptor(RX_QUEUE, 1, DATA + 0x1000, 2048, WRITE, 0);
        driver.descriptor(RX_QUEUE, 2, DATA + 0x2000, 2048, WRITE, 0);
        driver.offer(RX_QUEUE, 1);
        driver.offer(RX_QUEUE, 2);
        driver.transport.notifyQueue(RX_QUEUE);

        assertEquals(3, driver.usedIdx(RX_QUEUE));
        assertEquals(0, driver.port.inbound.size());
        final byte[] third = new byte[60];
        driver.ram.getBytes((int)DATA + 0x2000, third);
        final byte[] expected = frame(60, 2);
        expected[10] = 1;
        expected[11] = 0;
        assertArrayEquals(expected, third);
        assertEquals(2, driver.interrupts.count);
    }

    @ParameterizedTest
    @CsvSource({"-1", "0"})
    void shouldKeepRxChainForNextFrameWhenPortIsEmpty(final int emptyResult)
    {
        driver.port.emptyResult = emptyResult;
        driver.start(8);
        driver.descriptor(RX_QUEUE, 0, DATA, 2048, WRITE, 0);
        driver.offer(RX_QUEUE, 0);
        driver.transport.notifyQueue(RX_QUEUE);
        assertEquals(0, driver.usedIdx(RX_QUEUE));

        driver.port.inbound.add(frame(60, 1));
        driver.net.onPacketsReadable();

        assertEquals(1, driver.usedIdx(RX_QUEUE));
        assertEquals(0, driver.usedId(RX_QUEUE, 0));
        assertEquals(60, driver.usedLength(RX_QUEUE, 0));
    }

    @Test
    void shouldDropAndCountWhenFrameIsLargerThanRxChain()
    {
        driver.start(8);
        driver.descriptor(RX_QUEUE, 0, DATA, 100, WRITE, 0);
        driver.offer(RX_QUEUE, 0);
        driver.port.inbound.add(frame(101, 1));
        driver.port.inbound.add(frame(100, 2));

        driver.net.onPacketsReadable();

        assertEquals(1, driver.net.rxDropped());
        assertEquals(1, driver.net.rxFrames());
        assertEquals(1, driver.usedIdx(RX_QUEUE));
        assertEquals(100, driver.usedLength(RX_QUEUE, 0));
        assertEquals(2 + 12, driver.ram.getByte((int)DATA + 12));
        assertFalse(driver.transport.needsReset());
    }

    @Test
    void shouldDropFrameShorterThanHeaderWhenPortDeliversOne()
    {
        driver.start(8);
        driver.descriptor(RX_QUEUE, 0, DATA, 100, WRITE, 0);
        driver.offer(RX_QUEUE, 0);
        driver.port.inbound.add(frame(11, 1));

        driver.net.onPacketsReadable();

        assertEquals(1, driver.net.rxDropped());
        assertEquals(0, driver.usedIdx(RX_QUEUE));
    }

    @Test
    void shouldNotReadPortWhenDeviceIsNotActive()
    {
        driver.port.inbound.add(frame(60, 1));

        driver.net.onPacketsReadable();

        assertEquals(1, driver.port.inbound.size());
    }

    @Test
    void shouldNotInterruptWhenDriverSuppressesInterrupts()
    {
        driver.start(8);
        driver.availFlags(TX_QUEUE, 1);

        driver.transmit(0, DATA, frame(60, 0));

        assertEquals(1, driver.usedIdx(TX_QUEUE));
        assertEquals(0, driver.interrupts.count);
        assertEquals(0, driver.transport.interruptStatus());
    }

    @Test
    void shouldWrapRingSlotsAndIndicesWhenMoreThan65536ChainsPass()
    {
        driver.start(8);
        final byte[] frame = frame(20, 0);
        driver.ram.putBytes((int)DATA, frame);
        for (int i = 0; i < 70_000; i++)
        {
            driver.descriptor(TX_QUEUE, i & 7, DATA, frame.length, 0, 0);
            driver.offer(TX_QUEUE, i & 7);
            driver.transport.notifyQueue(TX_QUEUE);
        }

        assertEquals(70_000, driver.net.txFrames());
        assertEquals(70_000 & 0xffff, driver.usedIdx(TX_QUEUE));
        assertEquals((70_000 - 1) & 7, driver.usedId(TX_QUEUE, (70_000 - 1) & 7));
        assertFalse(driver.transport.needsReset());
    }

    @Test
    void shouldMakeLocallyAdministeredUnicastMacWhenGeneratedFromSeed()
    {
        for (long seed = 0; seed < 1000; seed++)
        {
            final byte[] mac = VirtioNet.macFromSeed(seed);
            assertEquals(6, mac.length);
            assertEquals(0x02, mac[0] & 0x03);
            assertArrayEquals(mac, VirtioNet.macFromSeed(seed));
        }
        assertFalse(Arrays.equals(VirtioNet.macFromSeed(1), VirtioNet.macFromSeed(2)));
        assertNotEquals("00:00:00:00:00:00", VirtioNet.formatMac(VirtioNet.macFromSeed(0)));
        assertEquals("02:11:22:33:44:55", VirtioNet.formatMac(TestDriver.MAC));
    }

    @Test
    void shouldRejectMacWhenMulticastOrWrongLength()
    {
        final IllegalArgumentException multicast = assertThrows(IllegalArgumentException.class,
            () -> new VirtioNet(new FakePacketPort(), new byte[] {0x03, 0, 0, 0, 0, 1}, true));
        assertEquals("MAC must be 6 bytes and unicast: mac=03:00:00:00:00:01", multicast.getMessage());
        final IllegalArgumentException shortMac = assertThrows(IllegalArgumentException.class,
            () -> new VirtioNet(new FakePacketPort(), new byte[] {0x02, 0}, true));
        assertEquals("MAC must be 6 bytes and unicast: mac=02:00", shortMac.getMessage());
    }

    @Test
    void shouldOfferNoOffloadsWhenConstructedWithoutThem()
    {
        final VirtioNet plain = new VirtioNet(new FakePacketPort(), TestDriver.MAC, false);

        assertEquals((1L << 32) | (1L << 16) | (1L << 5), plain.deviceFeatures());
    }

    @ParameterizedTest
    @CsvSource({
        "0x0000000100000020, 0",
        // GUEST_CSUM
        "0x0000000100000022, 1",
        // GUEST_CSUM | GUEST_TSO4
        "0x00000001000000a2, 3",
        // GUEST_CSUM | GUEST_TSO4 | GUEST_TSO6
        "0x00000001000001a2, 7",
        // host-side offloads say nothing about what the tap may send
        "0x0000000100001821, 0"})
    void shouldMapReceiveOffloadsToTunFlagsWhenAcked(final String features, final int tunFlags)
    {
        assertEquals(tunFlags, VirtioNet.tunOffloads(Long.decode(features)));
    }

    @Test
    void shouldExposeMacInConfigLayoutWhenReadThroughDevice()
    {
        final org.agrona.concurrent.UnsafeBuffer config = new org.agrona.concurrent.UnsafeBuffer(new byte[8]);
        driver.net.readConfig(0, config, 0, 8);

        assertEquals(0x5544_3322_1102L, config.getLong(0, ByteOrder.LITTLE_ENDIAN) & 0xffff_ffff_ffffL);
        assertEquals(1, config.getShort(6, ByteOrder.LITTLE_ENDIAN));
    }
}
