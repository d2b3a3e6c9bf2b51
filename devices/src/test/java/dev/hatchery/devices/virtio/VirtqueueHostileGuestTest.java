package dev.hatchery.devices.virtio;

import static dev.hatchery.devices.virtio.TestDriver.BASE_FEATURES;
import static dev.hatchery.devices.virtio.TestDriver.DATA;
import static dev.hatchery.devices.virtio.TestDriver.RUNNING;
import static dev.hatchery.devices.virtio.TestDriver.availRing;
import static dev.hatchery.devices.virtio.TestDriver.descriptorTable;
import static dev.hatchery.devices.virtio.TestDriver.frame;
import static dev.hatchery.devices.virtio.TestDriver.usedRing;
import static dev.hatchery.devices.virtio.VirtioMmioTransport.CONFIG_OFFSET;
import static dev.hatchery.devices.virtio.VirtioMmioTransport.INTERRUPT_CONFIG_CHANGE;
import static dev.hatchery.devices.virtio.VirtioMmioTransport.INTERRUPT_STATUS_OFFSET;
import static dev.hatchery.devices.virtio.VirtioMmioTransport.QUEUE_NOTIFY_OFFSET;
import static dev.hatchery.devices.virtio.VirtioMmioTransport.QUEUE_READY_OFFSET;
import static dev.hatchery.devices.virtio.VirtioMmioTransport.QUEUE_SEL_OFFSET;
import static dev.hatchery.devices.virtio.VirtioMmioTransport.STATUS_ACKNOWLEDGE;
import static dev.hatchery.devices.virtio.VirtioMmioTransport.STATUS_DEVICE_NEEDS_RESET;
import static dev.hatchery.devices.virtio.VirtioMmioTransport.STATUS_DRIVER;
import static dev.hatchery.devices.virtio.VirtioMmioTransport.STATUS_FEATURES_OK;
import static dev.hatchery.devices.virtio.VirtioMmioTransport.STATUS_OFFSET;
import static dev.hatchery.devices.virtio.VirtioNet.RX_QUEUE;
import static dev.hatchery.devices.virtio.VirtioNet.TX_QUEUE;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.function.Consumer;
import java.util.stream.Stream;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A guest that writes nonsense into its rings or queue registers: each case must end in
 * DEVICE_NEEDS_RESET with its own reason, never an exception to the VMM, never a frame sent, and
 * never any effect on another VM's device.
 */
class VirtqueueHostileGuestTest
{
    private static final int NEXT = 1;
    private static final int WRITE = 2;
    private static final int INDIRECT = 4;
    private static final int SIZE = 8;
    private static final int NEGOTIATED = STATUS_ACKNOWLEDGE | STATUS_DRIVER | STATUS_FEATURES_OK;

    private final TestDriver guest = new TestDriver();
    private final TestDriver otherVm = new TestDriver(VirtioNet.macFromSeed(2), true);

    @AfterEach
    void close()
    {
        guest.close();
        otherVm.close();
    }

    static Stream<Arguments> hostileChains()
    {
        return Stream.of(
            hostile("address at the end of RAM",
                g -> g.descriptor(TX_QUEUE, 0, 0x100000, 16, 0, 0),
                "descriptor outside guest memory: queue=1 head=0 index=0 addr=0x100000 length=16 ram_size=1048576"),
            hostile("segment straddling the end of RAM",
                g -> g.descriptor(TX_QUEUE, 0, 0xffff0, 32, 0, 0),
                "descriptor outside guest memory: queue=1 head=0 index=0 addr=0xffff0 length=32 ram_size=1048576"),
            hostile("address + length overflowing",
                g -> g.descriptor(TX_QUEUE, 0, 0x7fff_ffff_ffff_fff0L, 32, 0, 0),
                "descriptor outside guest memory: queue=1 head=0 index=0 addr=0x7ffffffffffffff0 length=32 "
                    + "ram_size=1048576"),
            hostile("address with the top bit set",
                g -> g.descriptor(TX_QUEUE, 0, 0xffff_ffff_ffff_f000L, 0x2000, 0, 0),
                "descriptor outside guest memory: queue=1 head=0 index=0 addr=0xfffffffffffff000 length=8192 "
                    + "ram_size=1048576"),
            hostile("length 0xffffffff",
                g -> g.descriptor(TX_QUEUE, 0, DATA, 0xffff_ffff, 0, 0),
                "descriptor outside guest memory: queue=1 head=0 index=0 addr=0x40000 length=4294967295 "
                    + "ram_size=1048576"),
            hostile("second descriptor outside RAM",
                g ->
                {
                    g.descriptor(TX_QUEUE, 0, DATA, 12, NEXT, 1);
                    g.descriptor(TX_QUEUE, 1, 0x200000, 64, 0, 0);
                },
                "descriptor outside guest memory: queue=1 head=0 index=1 addr=0x200000 length=64 ram_size=1048576"),
            hostile("descriptor pointing at itself",
                g -> g.descriptor(TX_QUEUE, 0, DATA, 64, NEXT, 0),
                "descriptor chain longer than queue size: queue=1 head=0 size=8"),
            hostile("two descriptors pointing at each other",
                g ->
                {
                    g.descriptor(TX_QUEUE, 0, DATA, 64, NEXT, 1);
                    g.descriptor(TX_QUEUE, 1, DATA, 64, NEXT, 0);
                },
                "descriptor chain longer than queue size: queue=1 head=0 size=8"),
            hostile("chain through every descriptor and back",
                g ->
                {
                    for (int i = 0; i < SIZE; i++)
                    {
                        g.descriptor(TX_QUEUE, i, DATA, 64, NEXT, (i + 1) % SIZE);
                    }
                },
                "descriptor chain longer than queue size: queue=1 head=0 size=8"),
            hostile("next index beyond the queue size",
                g -> g.descriptor(TX_QUEUE, 0, DATA, 64, NEXT, 200),
                "descriptor index out of range: queue=1 head=0 index=200 size=8"),
            hostile("next index equal to the queue size",
                g -> g.descriptor(TX_QUEUE, 0, DATA, 64, NEXT, SIZE),
                "descriptor index out of range: queue=1 head=0 index=8 size=8"),
            hostile("indirect descriptor without the feature",
                g -> g.descriptor(TX_QUEUE, 0, DATA, 64, INDIRECT, 0),
                "indirect descriptor not negotiated: queue=1 head=0 index=0"),
            hostile("readable descriptor after a writable one",
                g ->
                {
                    g.descriptor(TX_QUEUE, 0, DATA, 64, WRITE | NEXT, 1);
                    g.descriptor(TX_QUEUE, 1, DATA + 64, 64, 0, 0);
                },
                "readable descriptor after writable: queue=1 head=0 index=1"));
    }

    @ParameterizedTest
    @MethodSource("hostileChains")
    void shouldNeedResetWithReasonWhenTxChainIsHostile(final Consumer<TestDriver> corrupt, final String reason)
    {
        startBoth(SIZE);
        corrupt.accept(guest);
        guest.offer(TX_QUEUE, 0);

        assertDoesNotThrow(() -> guest.transport.notifyQueue(TX_QUEUE));

        assertNeedsReset(reason, RUNNING);
        assertEquals(0, guest.usedIdx(TX_QUEUE));
    }

    @ParameterizedTest
    @MethodSource("hostileChains")
    void shouldNeedResetWithReasonWhenHostileChainIsNotifiedByMmio(final Consumer<TestDriver> corrupt, final String reason)
    {
        startBoth(SIZE);
        corrupt.accept(guest);
        guest.offer(TX_QUEUE, 0);

        assertDoesNotThrow(() -> guest.write(QUEUE_NOTIFY_OFFSET, TX_QUEUE));

        assertNeedsReset(reason, RUNNING);
    }

    @Test
    void shouldNeedResetWhenHeadIndexIsBeyondQueueSize()
    {
        startBoth(SIZE);
        guest.offer(TX_QUEUE, 0xffff);

        assertDoesNotThrow(() -> guest.transport.notifyQueue(TX_QUEUE));

        assertNeedsReset("descriptor index out of range: queue=1 head=65535 index=65535 size=8", RUNNING);
    }

    @Test
    void shouldNeedResetWhenHeadIndexEqualsQueueSize()
    {
        startBoth(SIZE);
        guest.offer(TX_QUEUE, SIZE);

        assertDoesNotThrow(() -> guest.transport.notifyQueue(TX_QUEUE));

        assertNeedsReset("descriptor index out of range: queue=1 head=8 index=8 size=8", RUNNING);
    }

    @Test
    void shouldNeedResetWhenAvailIndexJumpsMoreThanQueueSizeAhead()
    {
        startBoth(SIZE);
        guest.descriptor(TX_QUEUE, 0, DATA, 64, 0, 0);
        guest.availIdx(TX_QUEUE, SIZE + 1);

        assertDoesNotThrow(() -> guest.transport.notifyQueue(TX_QUEUE));

        assertNeedsReset("available index ran ahead: queue=1 avail_idx=9 last_avail_idx=0 size=8", RUNNING);
    }

    @Test
    void shouldAcceptAvailIndexExactlyQueueSizeAheadWhenRingIsFull()
    {
        startBoth(SIZE);
        guest.ram.putBytes((int)DATA, frame(64, 0));
        for (int i = 0; i < SIZE; i++)
        {
            guest.descriptor(TX_QUEUE, i, DATA, 64, 0, 0);
            guest.offer(TX_QUEUE, i);
        }

        guest.transport.notifyQueue(TX_QUEUE);

        assertFalse(guest.transport.needsReset());
        assertEquals(SIZE, guest.port.sent.size());
    }

    @Test
    void shouldNeedResetWhenAvailIndexMovesBackwards()
    {
        startBoth(SIZE);
        guest.availIdx(TX_QUEUE, 0xffff);

        assertDoesNotThrow(() -> guest.transport.notifyQueue(TX_QUEUE));

        assertNeedsReset("available index ran ahead: queue=1 avail_idx=65535 last_avail_idx=0 size=8", RUNNING);
    }

    @Test
    void shouldNeedResetWhenChainDescribesMoreThanLimitBytes()
    {
        startBoth(128);
        // 65 descriptors that each cover all of RAM: every one is inside RAM, the total is 65 MiB.
        for (int i = 0; i < 65; i++)
        {
            guest.descriptor(TX_QUEUE, i, 0, TestDriver.RAM_SIZE, i < 64 ? NEXT : 0, i + 1);
        }
        guest.offer(TX_QUEUE, 0);

        assertDoesNotThrow(() -> guest.transport.notifyQueue(TX_QUEUE));

        assertNeedsReset("descriptor chain too large: queue=1 head=0 bytes=68157440 limit=67108864", RUNNING);
    }

    @Test
    void shouldLeaveFramesInPortWhenRxChainIsHostile()
    {
        startBoth(SIZE);
        guest.port.inbound.add(frame(60, 1));
        guest.descriptor(RX_QUEUE, 0, 0xfffff000L, 4096, WRITE, 0);
        guest.offer(RX_QUEUE, 0);

        assertDoesNotThrow(() -> guest.net.onPacketsReadable());

        assertNeedsReset("descriptor outside guest memory: queue=0 head=0 index=0 addr=0xfffff000 length=4096 "
            + "ram_size=1048576", RUNNING);
        assertEquals(1, guest.port.inbound.size());
        assertEquals(0, guest.usedIdx(RX_QUEUE));
    }

    static Stream<Arguments> hostileQueueSetups()
    {
        final long desc = descriptorTable(TX_QUEUE);
        final long avail = availRing(TX_QUEUE);
        final long used = usedRing(TX_QUEUE);
        return Stream.of(
            Arguments.of(0, desc, avail, used, "queue size not set: queue=1"),
            Arguments.of(3, desc, avail, used, "queue size not a power of 2: queue=1 size=3"),
            Arguments.of(96, desc, avail, used, "queue size not a power of 2: queue=1 size=96"),
            Arguments.of(512, desc, avail, used, "queue size exceeds maximum: queue=1 size=512 max_size=256"),
            Arguments.of(-1, desc, avail, used, "queue size exceeds maximum: queue=1 size=4294967295 max_size=256"),
            Arguments.of(SIZE, desc + 8, avail, used, "descriptor table misaligned: queue=1 addr=0x14008 alignment=16"),
            Arguments.of(SIZE, desc, avail + 1, used, "available ring misaligned: queue=1 addr=0x15001 alignment=2"),
            Arguments.of(SIZE, desc, avail, used + 2, "used ring misaligned: queue=1 addr=0x16002 alignment=4"),
            Arguments.of(SIZE, 0xfffc0L, avail, used,
                "descriptor table outside guest memory: queue=1 addr=0xfffc0 length=128 ram_size=1048576"),
            Arguments.of(SIZE, 0x1_0000_0000L, avail, used,
                "descriptor table outside guest memory: queue=1 addr=0x100000000 length=128 ram_size=1048576"),
            Arguments.of(SIZE, desc, 0xffff0L, used,
                "available ring outside guest memory: queue=1 addr=0xffff0 length=22 ram_size=1048576"),
            Arguments.of(SIZE, desc, avail, 0xfffc0L,
                "used ring outside guest memory: queue=1 addr=0xfffc0 length=70 ram_size=1048576"),
            Arguments.of(SIZE, desc, avail, 0xffff_ffff_ffff_fff0L,
                "used ring outside guest memory: queue=1 addr=0xfffffffffffffff0 length=70 ram_size=1048576"));
    }

    @ParameterizedTest
    @MethodSource("hostileQueueSetups")
    void shouldNeedResetWithReasonWhenQueueSetupIsHostile(final int size, final long descriptors, final long avail,
        final long used, final String reason)
    {
        otherVm.start(SIZE);
        guest.negotiate(BASE_FEATURES);
        guest.setUpQueue(RX_QUEUE, SIZE);

        assertDoesNotThrow(() -> guest.setUpQueue(TX_QUEUE, size, descriptors, avail, used));

        assertEquals(0, guest.read(QUEUE_READY_OFFSET));
        assertNeedsReset(reason, NEGOTIATED);
        // DRIVER_OK does not revive a device that needs a reset.
        guest.write(STATUS_OFFSET, RUNNING);
        assertEquals(NEGOTIATED | STATUS_DEVICE_NEEDS_RESET, guest.read(STATUS_OFFSET));
        assertEquals(-1, guest.port.offloads);
    }

    @Test
    void shouldKeepFirstReasonAndCountOneFailureWhenGuestKeepsMisbehaving()
    {
        startBoth(SIZE);
        guest.descriptor(TX_QUEUE, 0, DATA, 64, INDIRECT, 0);
        guest.offer(TX_QUEUE, 0);
        guest.transport.notifyQueue(TX_QUEUE);
        guest.availIdx(TX_QUEUE, 100);
        guest.transport.notifyQueue(TX_QUEUE);
        guest.write(QUEUE_SEL_OFFSET, RX_QUEUE);
        guest.write(QUEUE_READY_OFFSET, 0);
        guest.write(QUEUE_READY_OFFSET, 1);

        assertEquals("indirect descriptor not negotiated: queue=1 head=0 index=0", guest.transport.failureReason());
        assertEquals(1, guest.transport.failures());
        assertEquals(1, guest.interrupts.count);
    }

    @Test
    void shouldWorkAgainWhenDriverResetsAfterFailure()
    {
        startBoth(SIZE);
        guest.descriptor(TX_QUEUE, 0, DATA, 64, NEXT, 0);
        guest.offer(TX_QUEUE, 0);
        guest.transport.notifyQueue(TX_QUEUE);
        assertTrue(guest.transport.needsReset());

        guest.write(STATUS_OFFSET, 0);
        assertFalse(guest.transport.needsReset());
        assertNull(guest.transport.failureReason());
        assertEquals(0, guest.read(STATUS_OFFSET));
        guest.start(SIZE);
        guest.transmit(0, DATA, frame(60, 4));

        assertEquals(1, guest.port.sent.size());
        assertEquals(RUNNING, guest.read(STATUS_OFFSET));
        assertEquals(1, guest.transport.failures());
    }

    private void startBoth(final int size)
    {
        guest.start(size);
        otherVm.start(size);
    }

    private static Arguments hostile(final String description, final Consumer<TestDriver> corrupt, final String reason)
    {
        return Arguments.of(Named.of(description, corrupt), reason);
    }

    /** The guest's device needs a reset for {@code reason}; nothing else about it, or the other VM, changed. */
    private void assertNeedsReset(final String reason, final int statusBefore)
    {
        assertTrue(guest.transport.needsReset());
        assertEquals(reason, guest.transport.failureReason());
        assertEquals(1, guest.transport.failures());
        assertEquals(statusBefore | STATUS_DEVICE_NEEDS_RESET, guest.read(STATUS_OFFSET));
        assertEquals(INTERRUPT_CONFIG_CHANGE, guest.read(INTERRUPT_STATUS_OFFSET));
        assertEquals(1, guest.interrupts.count);
        assertEquals(0, guest.port.sent.size());
        assertTrue(guest.transport.queue(RX_QUEUE).isHalted());
        assertTrue(guest.transport.queue(TX_QUEUE).isHalted());

        // The rest of the device still answers: config space, features, and no exception on more traffic.
        final UnsafeBuffer mac = new UnsafeBuffer(new byte[8]);
        guest.transport.read(CONFIG_OFFSET, mac, 0, 8);
        final byte[] macBytes = new byte[6];
        mac.getBytes(0, macBytes);
        assertArrayEquals(TestDriver.MAC, macBytes);
        if ((statusBefore & STATUS_FEATURES_OK) != 0)
        {
            assertEquals(BASE_FEATURES, guest.transport.ackedFeatures());
        }
        assertDoesNotThrow(() -> guest.transport.notifyQueue(TX_QUEUE));
        assertDoesNotThrow(() -> guest.transport.notifyQueue(RX_QUEUE));
        assertDoesNotThrow(() -> guest.net.onPacketsReadable());
        assertEquals(0, guest.port.sent.size());
        assertEquals(1, guest.interrupts.count);

        // Another VM's device, same code, its own RAM: untouched and still working.
        otherVm.transmit(0, DATA, frame(60, 9));
        assertFalse(otherVm.transport.needsReset());
        assertEquals(1, otherVm.port.sent.size());
        assertArrayEquals(frame(60, 9), otherVm.port.sent.get(0));
        assertEquals(1, otherVm.interrupts.count);
    }
}
