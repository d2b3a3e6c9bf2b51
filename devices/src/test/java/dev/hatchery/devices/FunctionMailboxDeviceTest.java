package dev.hatchery.devices;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteOrder;
import java.util.concurrent.atomic.AtomicInteger;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import dev.hatchery.config.FunctionMailbox;

class FunctionMailboxDeviceTest
{
    private static final FunctionMailbox MAILBOX = new FunctionMailbox(0x7000000, 8192);

    private static UnsafeBuffer region()
    {
        return new UnsafeBuffer(new byte[(int)MAILBOX.regionBytes()]);
    }

    /** What a guest's /init writes back: stdout, stderr tail, wait status and flags. */
    private static void reply(final UnsafeBuffer region, final byte[] stdout, final byte[] stderr, final int waitStatus, final int flags)
    {
        region.putBytes(MAILBOX.responseOffset(), stdout);
        region.putBytes(MAILBOX.stderrOffset(), stderr);
        region.putInt(FunctionMailbox.RESPONSE_LEN, stdout.length, ByteOrder.LITTLE_ENDIAN);
        region.putInt(FunctionMailbox.STDERR_LEN, stderr.length, ByteOrder.LITTLE_ENDIAN);
        region.putInt(FunctionMailbox.WAIT_STATUS, waitStatus, ByteOrder.LITTLE_ENDIAN);
        region.putInt(FunctionMailbox.FLAGS, flags, ByteOrder.LITTLE_ENDIAN);
    }

    @Test
    void shouldPutTheRequestWhereTheGuestReadsItAndClearAnEarlierReply()
    {
        final UnsafeBuffer region = region();
        reply(region, new byte[] {9}, new byte[] {8}, 0x300, 1);

        FunctionMailboxDevice.writeRequest(region, MAILBOX, new byte[] {1, 2, 3});

        assertEquals(3, region.getInt(FunctionMailbox.REQUEST_LEN, ByteOrder.LITTLE_ENDIAN));
        assertEquals(2, region.getByte(MAILBOX.requestOffset() + 1));
        assertEquals(0, region.getInt(FunctionMailbox.RESPONSE_LEN, ByteOrder.LITTLE_ENDIAN));
        assertEquals(0, region.getInt(FunctionMailbox.FLAGS, ByteOrder.LITTLE_ENDIAN));
        assertThrows(IllegalArgumentException.class, () -> FunctionMailboxDevice.writeRequest(region, MAILBOX, new byte[8193]));
    }

    @Test
    void shouldReadASuccessAFailureAndAKilledHandler()
    {
        final UnsafeBuffer region = region();
        reply(region, "out".getBytes(), new byte[0], 0, 0);
        final FunctionReply ok = FunctionMailboxDevice.readReply(region, MAILBOX);
        reply(region, new byte[0], "bad\n".getBytes(), 3 << 8, 0);
        final FunctionReply failed = FunctionMailboxDevice.readReply(region, MAILBOX);
        reply(region, new byte[0], new byte[0], 11, 0);
        final FunctionReply killed = FunctionMailboxDevice.readReply(region, MAILBOX);
        reply(region, new byte[8192], new byte[0], 0, FunctionMailbox.FLAG_RESPONSE_OVERFLOW);
        final FunctionReply overflowed = FunctionMailboxDevice.readReply(region, MAILBOX);
        reply(region, new byte[0], "exec /handler failed: errno=8\n".getBytes(), 0, FunctionMailbox.FLAG_SETUP_FAILED);
        final FunctionReply notStarted = FunctionMailboxDevice.readReply(region, MAILBOX);

        assertTrue(ok.succeeded());
        assertArrayEquals("out".getBytes(), ok.stdout());
        assertEquals("exit status 3", failed.describeEnd());
        assertArrayEquals("bad\n".getBytes(), failed.stderr());
        assertFalse(killed.exited());
        assertEquals("killed by signal 11", killed.describeEnd());
        assertFalse(overflowed.succeeded());
        assertEquals("response larger than the payload limit", overflowed.describeEnd());
        assertEquals("the handler could not be started in the guest", notStarted.describeEnd());
        assertFalse(notStarted.succeeded());
    }

    @Test
    void shouldTrustNoLengthTheGuestWroteBeyondItsArea()
    {
        final UnsafeBuffer region = region();
        reply(region, new byte[0], new byte[0], 0, 0);
        region.putInt(FunctionMailbox.RESPONSE_LEN, 8193, ByteOrder.LITTLE_ENDIAN);
        final FunctionReply longResponse = FunctionMailboxDevice.readReply(region, MAILBOX);
        region.putInt(FunctionMailbox.RESPONSE_LEN, -1, ByteOrder.LITTLE_ENDIAN);
        final FunctionReply negative = FunctionMailboxDevice.readReply(region, MAILBOX);
        region.putInt(FunctionMailbox.RESPONSE_LEN, 0, ByteOrder.LITTLE_ENDIAN);
        region.putInt(FunctionMailbox.STDERR_LEN, 4097, ByteOrder.LITTLE_ENDIAN);
        final FunctionReply longStderr = FunctionMailboxDevice.readReply(region, MAILBOX);

        assertTrue(longResponse.violation().contains("response length 8193"), longResponse.violation());
        assertTrue(negative.violation().contains("response length 4294967295"), negative.violation());
        assertTrue(longStderr.violation().contains("stderr length 4097"), longStderr.violation());
        assertFalse(longResponse.succeeded());
        assertEquals(0, longResponse.stdout().length);
        assertNull(FunctionMailboxDevice.readReply(region(), MAILBOX).violation());
    }

    @Test
    void shouldRingOnceOnTheFirstDoneAndIgnoreTheRest()
    {
        final AtomicInteger rung = new AtomicInteger();
        final FunctionMailboxDevice device = new FunctionMailboxDevice(rung::incrementAndGet);
        final UnsafeBuffer value = new UnsafeBuffer(new byte[8]);

        device.write(4, value, 0, 4);
        device.write(0, value, 0, 4);
        device.write(0, value, 0, 4);
        device.read(0, value, 0, 8);

        assertEquals(1, rung.get());
        assertTrue(device.done());
        assertEquals(2, device.ignoredWrites());
        assertEquals(0, value.getLong(0));
    }
}
