package dev.hatchery.devices.virtio;

import static dev.hatchery.devices.virtio.TestDriver.DATA;
import static dev.hatchery.devices.virtio.TestDriver.frame;
import static dev.hatchery.devices.virtio.VirtioNet.RX_QUEUE;
import static dev.hatchery.devices.virtio.VirtioNet.TX_QUEUE;
import static dev.hatchery.devices.virtio.VirtioNet.WORK_BUDGET;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * What one wakeup of the device may do on a shared event loop (at most {@link VirtioNet#WORK_BUDGET} frames per
 * direction, the rest left pending), and what a hostile guest's transmitted frames meet before the tap: the header
 * check and the source filter.
 */
class VirtioNetFairnessTest
{
    private static final int QUEUE = 256;
    private static final int WRITE = 2;

    private TestDriver driver = new TestDriver();

    @AfterEach
    void close()
    {
        driver.close();
    }

    /** Fills the whole TX ring with small frames, as a flooding guest keeps it. */
    private void fillTx(final int frames)
    {
        for (int i = 0; i < frames; i++)
        {
            driver.ram.putBytes((int)DATA + 0x80 * i, frame(60, i));
            driver.descriptor(TX_QUEUE, i, DATA + 0x80 * i, 60, 0, 0);
            driver.offer(TX_QUEUE, i);
        }
    }

    /** Posts {@code count} 2 KiB receive buffers, as the driver does at start. */
    private void offerRxBuffers(final int count)
    {
        for (int i = 0; i < count; i++)
        {
            driver.descriptor(RX_QUEUE, i, DATA + 0x800 * i, 0x800, WRITE, 0);
            driver.offer(RX_QUEUE, i);
        }
    }

    /** Queues {@code frames} frames in the tap, as a flood into it leaves them. */
    private void floodTap(final int frames)
    {
        for (int i = 0; i < frames; i++)
        {
            driver.port.inbound.add(frame(100, i));
        }
    }

    @Test
    void shouldSendAtMostTheBudgetPerNotifyAndTheRestOnResume()
    {
        driver.start(QUEUE);
        fillTx(QUEUE);

        driver.transport.notifyQueue(TX_QUEUE);

        assertEquals(WORK_BUDGET, driver.port.sent.size());
        assertEquals(WORK_BUDGET, driver.usedIdx(TX_QUEUE));
        assertTrue(driver.net.hasPendingWork());
        assertEquals(1, driver.interrupts.count, "the guest hears of the buffers returned so far");

        int resumes = 0;
        while (driver.net.hasPendingWork())
        {
            final int before = driver.port.sent.size();
            driver.net.resume();
            assertTrue(driver.port.sent.size() - before <= WORK_BUDGET, "one resume moved " + (driver.port.sent.size() - before));
            resumes++;
        }
        assertEquals(QUEUE, driver.port.sent.size());
        assertEquals(QUEUE, driver.net.txFrames());
        // 256 frames: the notify's 64, three resumes of 64, one that finds the ring empty and clears the flag.
        assertEquals(QUEUE / WORK_BUDGET, resumes);
        for (int i = 0; i < QUEUE; i++)
        {
            assertArrayEquals(frame(60, i), driver.port.sent.get(i), "frame " + i);
        }
    }

    @Test
    void shouldReadAtMostTheBudgetFromAFloodedTapPerWakeupAndTheRestOnResume()
    {
        driver.start(QUEUE);
        offerRxBuffers(QUEUE);
        floodTap(1000);

        driver.net.onPacketsReadable();

        assertEquals(WORK_BUDGET, driver.usedIdx(RX_QUEUE));
        assertEquals(1000 - WORK_BUDGET, driver.port.inbound.size());
        assertTrue(driver.net.hasPendingWork());

        while (driver.net.hasPendingWork())
        {
            final int before = driver.port.inbound.size();
            driver.net.resume();
            assertTrue(before - driver.port.inbound.size() <= WORK_BUDGET);
        }
        // The guest's 256 buffers are full; the rest waits in the tap for its next RX notify, nothing pending.
        assertEquals(QUEUE, driver.usedIdx(RX_QUEUE));
        assertEquals(1000 - QUEUE, driver.port.inbound.size());
        assertFalse(driver.net.hasPendingWork());
    }

    @Test
    void shouldMoveNothingMoreOnANotifyOrATapWakeupWhileThatDirectionWaitsForItsResume()
    {
        driver.start(QUEUE);
        fillTx(QUEUE);
        driver.transport.notifyQueue(TX_QUEUE);
        assertEquals(WORK_BUDGET, driver.port.sent.size());

        // A flooding guest kicks for every frame it adds: each kick before the loop's next round must not be a new budget.
        driver.transport.notifyQueue(TX_QUEUE);
        driver.transport.notifyQueue(TX_QUEUE);

        assertEquals(WORK_BUDGET, driver.port.sent.size());
        assertTrue(driver.net.hasPendingWork());
        driver.net.resume();
        assertEquals(2 * WORK_BUDGET, driver.port.sent.size(), "the resume moves the next budget");
    }

    @Test
    void shouldReadNothingMoreOnATapWakeupOrAnRxNotifyWhileReceiveWaitsForItsResume()
    {
        driver.start(QUEUE);
        offerRxBuffers(QUEUE);
        floodTap(1000);
        driver.net.onPacketsReadable();
        assertEquals(WORK_BUDGET, driver.usedIdx(RX_QUEUE));

        driver.net.onPacketsReadable();
        driver.transport.notifyQueue(RX_QUEUE);

        assertEquals(WORK_BUDGET, driver.usedIdx(RX_QUEUE));
        assertEquals(1000 - WORK_BUDGET, driver.port.inbound.size());
        driver.net.resume();
        assertEquals(2 * WORK_BUDGET, driver.usedIdx(RX_QUEUE));
    }

    @Test
    void shouldStillSendOnANotifyWhileOnlyReceiveIsPending()
    {
        driver.start(QUEUE);
        offerRxBuffers(QUEUE / 2);
        floodTap(1000);
        driver.net.onPacketsReadable();
        assertTrue(driver.net.hasPendingWork());

        final long tx = DATA + 0x800 * QUEUE;
        driver.ram.putBytes((int)tx, frame(60, 7));
        driver.descriptor(TX_QUEUE, 0, tx, 60, 0, 0);
        driver.offer(TX_QUEUE, 0);
        driver.transport.notifyQueue(TX_QUEUE);

        assertEquals(1, driver.port.sent.size(), "a pending receive does not hold back the other direction");
    }

    @Test
    void shouldCountFramesDroppedForSizeAgainstTheBudget()
    {
        driver.start(8);
        driver.descriptor(RX_QUEUE, 0, DATA, 64, WRITE, 0);
        driver.offer(RX_QUEUE, 0);
        for (int i = 0; i < 3 * WORK_BUDGET; i++)
        {
            driver.port.inbound.add(frame(1000, i));
        }

        driver.net.onPacketsReadable();

        assertEquals(WORK_BUDGET, driver.net.rxDropped());
        assertTrue(driver.net.hasPendingWork());
    }

    @Test
    void shouldForgetPendingWorkWhenTheDeviceIsReset()
    {
        driver.start(QUEUE);
        fillTx(QUEUE);
        driver.transport.notifyQueue(TX_QUEUE);
        assertTrue(driver.net.hasPendingWork());

        driver.net.reset();

        assertFalse(driver.net.hasPendingWork());
        driver.net.resume();
        assertEquals(WORK_BUDGET, driver.port.sent.size());
    }

    @Test
    void shouldDropAndCountAFrameWhoseHeaderAsksForAnOffloadThatWasNotAccepted()
    {
        driver.start(8);
        final byte[] needsCsum = frame(80, 3);
        needsCsum[VnetHeader.FLAGS_OFFSET] = VnetHeader.FLAG_NEEDS_CSUM;

        driver.transmit(0, DATA, needsCsum);

        assertEquals(0, driver.port.sent.size());
        assertEquals(1, driver.net.txBadHeaders());
        assertEquals(1, driver.net.txDropped());
        assertEquals(1, driver.usedIdx(TX_QUEUE), "the buffer goes back to the guest");
        assertFalse(driver.transport.needsReset(), "a bad header is the frame's problem, not the device's");
    }

    @Test
    void shouldSendACleanedHeaderToThePort()
    {
        driver.start(8);
        final byte[] frame = frame(80, 3);
        frame[VnetHeader.FLAGS_OFFSET] = 0x02;
        frame[VnetHeader.NUM_BUFFERS_OFFSET] = 9;

        driver.transmit(0, DATA, frame);

        assertEquals(1, driver.port.sent.size());
        assertArrayEquals(frame(80, 3), driver.port.sent.get(0));
    }

    @Test
    void shouldSendOnlyFramesThatPassTheSourceFilter()
    {
        driver.close();
        driver = new TestDriver(SourceFilterTest.MAC, false,
            new SourceFilter(SourceFilterTest.MAC, SourceFilterTest.address(SourceFilterTest.GUEST)));
        driver.start(8);
        final byte[][] frames = {
            SourceFilterTest.ipv4(SourceFilterTest.MAC, SourceFilterTest.GUEST),
            SourceFilterTest.ipv4(SourceFilterTest.MAC, SourceFilterTest.OTHER),
            SourceFilterTest.ipv4(SourceFilterTest.OTHER_MAC, SourceFilterTest.GUEST),
            SourceFilterTest.arp(SourceFilterTest.MAC, SourceFilterTest.MAC, SourceFilterTest.GUEST)};
        for (int i = 0; i < frames.length; i++)
        {
            final byte[] withHeader = new byte[VirtioNet.VNET_HDR_LENGTH + frames[i].length];
            System.arraycopy(frames[i], 0, withHeader, VirtioNet.VNET_HDR_LENGTH, frames[i].length);
            driver.transmit(i, DATA + 0x100 * i, withHeader);
        }

        assertEquals(2, driver.port.sent.size());
        assertEquals(2, driver.net.txFrames());
        assertEquals(2, driver.net.txFiltered());
        assertEquals(2, driver.net.txDropped());
        assertEquals(0x0806, (driver.port.sent.get(1)[24] & 0xff) << 8 | driver.port.sent.get(1)[25] & 0xff);
    }
}
