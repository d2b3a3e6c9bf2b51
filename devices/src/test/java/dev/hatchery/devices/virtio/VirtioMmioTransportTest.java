package dev.hatchery.devices.virtio;

import static dev.hatchery.devices.virtio.TestDriver.BASE_FEATURES;
import static dev.hatchery.devices.virtio.TestDriver.RUNNING;
import static dev.hatchery.devices.virtio.TestDriver.availRing;
import static dev.hatchery.devices.virtio.TestDriver.descriptorTable;
import static dev.hatchery.devices.virtio.TestDriver.usedRing;
import static dev.hatchery.devices.virtio.VirtioMmioTransport.CONFIG_GENERATION_OFFSET;
import static dev.hatchery.devices.virtio.VirtioMmioTransport.CONFIG_OFFSET;
import static dev.hatchery.devices.virtio.VirtioMmioTransport.DEVICE_FEATURES_OFFSET;
import static dev.hatchery.devices.virtio.VirtioMmioTransport.DEVICE_FEATURES_SEL_OFFSET;
import static dev.hatchery.devices.virtio.VirtioMmioTransport.DEVICE_ID_OFFSET;
import static dev.hatchery.devices.virtio.VirtioMmioTransport.DRIVER_FEATURES_OFFSET;
import static dev.hatchery.devices.virtio.VirtioMmioTransport.DRIVER_FEATURES_SEL_OFFSET;
import static dev.hatchery.devices.virtio.VirtioMmioTransport.INTERRUPT_ACK_OFFSET;
import static dev.hatchery.devices.virtio.VirtioMmioTransport.INTERRUPT_CONFIG_CHANGE;
import static dev.hatchery.devices.virtio.VirtioMmioTransport.INTERRUPT_STATUS_OFFSET;
import static dev.hatchery.devices.virtio.VirtioMmioTransport.INTERRUPT_USED_BUFFER;
import static dev.hatchery.devices.virtio.VirtioMmioTransport.MAGIC_VALUE_OFFSET;
import static dev.hatchery.devices.virtio.VirtioMmioTransport.QUEUE_DESC_HIGH_OFFSET;
import static dev.hatchery.devices.virtio.VirtioMmioTransport.QUEUE_DESC_LOW_OFFSET;
import static dev.hatchery.devices.virtio.VirtioMmioTransport.QUEUE_DEVICE_LOW_OFFSET;
import static dev.hatchery.devices.virtio.VirtioMmioTransport.QUEUE_DRIVER_LOW_OFFSET;
import static dev.hatchery.devices.virtio.VirtioMmioTransport.QUEUE_NOTIFY_OFFSET;
import static dev.hatchery.devices.virtio.VirtioMmioTransport.QUEUE_NUM_MAX_OFFSET;
import static dev.hatchery.devices.virtio.VirtioMmioTransport.QUEUE_NUM_OFFSET;
import static dev.hatchery.devices.virtio.VirtioMmioTransport.QUEUE_READY_OFFSET;
import static dev.hatchery.devices.virtio.VirtioMmioTransport.QUEUE_SEL_OFFSET;
import static dev.hatchery.devices.virtio.VirtioMmioTransport.SHM_LEN_LOW_OFFSET;
import static dev.hatchery.devices.virtio.VirtioMmioTransport.STATUS_ACKNOWLEDGE;
import static dev.hatchery.devices.virtio.VirtioMmioTransport.STATUS_DRIVER;
import static dev.hatchery.devices.virtio.VirtioMmioTransport.STATUS_DRIVER_OK;
import static dev.hatchery.devices.virtio.VirtioMmioTransport.STATUS_FAILED;
import static dev.hatchery.devices.virtio.VirtioMmioTransport.STATUS_FEATURES_OK;
import static dev.hatchery.devices.virtio.VirtioMmioTransport.STATUS_OFFSET;
import static dev.hatchery.devices.virtio.VirtioMmioTransport.VENDOR_ID_OFFSET;
import static dev.hatchery.devices.virtio.VirtioMmioTransport.VERSION_OFFSET;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteOrder;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import dev.hatchery.kvm.GuestMemory;
import dev.hatchery.kvm.Tap;

class VirtioMmioTransportTest
{
    private static final int ACKNOWLEDGED = STATUS_ACKNOWLEDGE | STATUS_DRIVER;
    private static final int NEGOTIATED = ACKNOWLEDGED | STATUS_FEATURES_OK;

    private final TestDriver driver = new TestDriver();
    private final UnsafeBuffer data = new UnsafeBuffer(new byte[8]);

    @AfterEach
    void close()
    {
        driver.close();
    }

    @Test
    void shouldIdentifyAsModernVirtioNetWhenProbed()
    {
        assertEquals(0x74726976, driver.read(MAGIC_VALUE_OFFSET));
        assertEquals(2, driver.read(VERSION_OFFSET));
        assertEquals(1, driver.read(DEVICE_ID_OFFSET));
        assertEquals(0, driver.read(VENDOR_ID_OFFSET));
        driver.write(DEVICE_FEATURES_SEL_OFFSET, 0);
        assertEquals((1 << 0) | (1 << 1) | (1 << 5) | (1 << 7) | (1 << 8) | (1 << 11) | (1 << 12) | (1 << 16),
            driver.read(DEVICE_FEATURES_OFFSET));
        driver.write(DEVICE_FEATURES_SEL_OFFSET, 1);
        assertEquals(1, driver.read(DEVICE_FEATURES_OFFSET));
        driver.write(DEVICE_FEATURES_SEL_OFFSET, 2);
        assertEquals(0, driver.read(DEVICE_FEATURES_OFFSET));
        assertEquals(0, driver.read(CONFIG_GENERATION_OFFSET));
        assertEquals(0, driver.transport.ignoredAccesses());
    }

    @Test
    void shouldKeepFeaturesOkWhenDriverAcceptsOfferedSubsetWithVersion1()
    {
        assertEquals(NEGOTIATED, driver.negotiate(BASE_FEATURES));
        assertEquals(BASE_FEATURES, driver.transport.ackedFeatures());
    }

    @ParameterizedTest
    @CsvSource({
        // VIRTIO_RING_F_INDIRECT_DESC, not offered
        "0x0000000110000020",
        // VIRTIO_RING_F_EVENT_IDX, not offered
        "0x0000000120000020",
        // VIRTIO_NET_F_MRG_RXBUF, not offered
        "0x0000000100008020",
        // a bit in the high word that is not offered
        "0x0000000300000020",
        // no VIRTIO_F_VERSION_1 (a legacy driver)
        "0x0000000000000020",
        // VIRTIO_NET_F_HOST_TSO4 without VIRTIO_NET_F_CSUM
        "0x0000000100000820",
        // VIRTIO_NET_F_GUEST_TSO6 without VIRTIO_NET_F_GUEST_CSUM
        "0x0000000100000120"})
    void shouldRefuseFeaturesOkWhenDriverAcceptsUnofferedOrInconsistentFeatures(final String features)
    {
        assertEquals(ACKNOWLEDGED, driver.negotiate(Long.decode(features)));
        assertEquals(0, driver.transport.ackedFeatures());

        // Linux then gives up with FAILED; a later DRIVER_OK must not activate anything.
        driver.write(STATUS_OFFSET, ACKNOWLEDGED | STATUS_FAILED);
        driver.write(STATUS_OFFSET, ACKNOWLEDGED | STATUS_FAILED | STATUS_DRIVER_OK);
        assertEquals(ACKNOWLEDGED | STATUS_FAILED, driver.read(STATUS_OFFSET));
        assertEquals(-1, driver.port.offloads);
    }

    @Test
    void shouldRefuseFeaturesOkWhenDriverAcceptsFeatureBeyondBit63()
    {
        driver.write(STATUS_OFFSET, ACKNOWLEDGED);
        driver.write(DRIVER_FEATURES_SEL_OFFSET, 0);
        driver.write(DRIVER_FEATURES_OFFSET, (int)BASE_FEATURES);
        driver.write(DRIVER_FEATURES_SEL_OFFSET, 1);
        driver.write(DRIVER_FEATURES_OFFSET, 1);
        driver.write(DRIVER_FEATURES_SEL_OFFSET, 2);
        driver.write(DRIVER_FEATURES_OFFSET, 1);
        driver.write(STATUS_OFFSET, NEGOTIATED);

        assertEquals(ACKNOWLEDGED, driver.read(STATUS_OFFSET));
    }

    @Test
    void shouldIgnoreDriverFeaturesWhenWrittenAfterFeaturesOk()
    {
        driver.negotiate(BASE_FEATURES);
        driver.write(DRIVER_FEATURES_SEL_OFFSET, 0);
        driver.write(DRIVER_FEATURES_OFFSET, -1);

        assertEquals(BASE_FEATURES, driver.transport.ackedFeatures());
        assertEquals(1, driver.transport.ignoredAccesses());
    }

    @Test
    void shouldNotSetDriverOkWhenFeaturesNotOk()
    {
        driver.write(STATUS_OFFSET, ACKNOWLEDGED);
        driver.setUpQueue(0, 8);
        driver.setUpQueue(1, 8);
        driver.write(STATUS_OFFSET, ACKNOWLEDGED | STATUS_DRIVER_OK);

        assertEquals(ACKNOWLEDGED, driver.read(STATUS_OFFSET));
        assertEquals(-1, driver.port.offloads);
    }

    @Test
    void shouldIgnoreStatusWriteWhenItClearsBitsOrSetsUndefinedOnes()
    {
        driver.negotiate(BASE_FEATURES);
        driver.write(STATUS_OFFSET, STATUS_ACKNOWLEDGE);
        driver.write(STATUS_OFFSET, NEGOTIATED | 0x10);

        assertEquals(NEGOTIATED, driver.read(STATUS_OFFSET));
        assertEquals(2, driver.transport.ignoredAccesses());
    }

    @Test
    void shouldActivateAndReportReceiveOffloadsWhenDriverOk()
    {
        final long features = BASE_FEATURES | VirtioFeatures.bit(VirtioNet.VIRTIO_NET_F_GUEST_CSUM)
            | VirtioFeatures.bit(VirtioNet.VIRTIO_NET_F_GUEST_TSO4) | VirtioFeatures.bit(VirtioNet.VIRTIO_NET_F_CSUM)
            | VirtioFeatures.bit(VirtioNet.VIRTIO_NET_F_HOST_TSO4);
        driver.start(features, 8);

        assertEquals(RUNNING, driver.read(STATUS_OFFSET));
        assertEquals(features, driver.transport.ackedFeatures());
        assertEquals(Tap.TUN_F_CSUM | Tap.TUN_F_TSO4, driver.port.offloads);
        assertEquals(1, driver.port.offloadCalls);
    }

    @Test
    void shouldSetUpQueueWhenDriverWritesItsRegisters()
    {
        driver.negotiate(BASE_FEATURES);
        driver.write(QUEUE_SEL_OFFSET, 1);
        assertEquals(256, driver.read(QUEUE_NUM_MAX_OFFSET));
        assertEquals(0, driver.read(QUEUE_READY_OFFSET));

        driver.setUpQueue(1, 64);

        assertEquals(1, driver.read(QUEUE_READY_OFFSET));
        assertEquals(64, driver.read(QUEUE_NUM_OFFSET));
        assertEquals((int)descriptorTable(1), driver.read(QUEUE_DESC_LOW_OFFSET));
        assertEquals(0, driver.read(QUEUE_DESC_HIGH_OFFSET));
        assertEquals((int)availRing(1), driver.read(QUEUE_DRIVER_LOW_OFFSET));
        assertEquals((int)usedRing(1), driver.read(QUEUE_DEVICE_LOW_OFFSET));
        assertTrue(driver.transport.queue(1).isReady());
        assertFalse(driver.transport.queue(0).isReady());
        driver.write(QUEUE_SEL_OFFSET, 0);
        assertEquals(0, driver.read(QUEUE_READY_OFFSET));
    }

    @Test
    void shouldIgnoreQueueRegisterWritesWhenQueueIsReady()
    {
        driver.negotiate(BASE_FEATURES);
        driver.setUpQueue(0, 8);
        driver.write(QUEUE_NUM_OFFSET, 16);
        driver.write(QUEUE_DESC_LOW_OFFSET, 0x20000);

        assertEquals(8, driver.read(QUEUE_NUM_OFFSET));
        assertEquals((int)descriptorTable(0), driver.read(QUEUE_DESC_LOW_OFFSET));
        assertEquals(2, driver.transport.ignoredAccesses());
    }

    @Test
    void shouldReportNoQueueWhenSelectorIsOutOfRange()
    {
        driver.write(QUEUE_SEL_OFFSET, 2);
        assertEquals(0, driver.read(QUEUE_NUM_MAX_OFFSET));
        assertEquals(0, driver.read(QUEUE_READY_OFFSET));
        driver.write(QUEUE_NUM_OFFSET, 8);
        driver.write(QUEUE_READY_OFFSET, 1);

        assertEquals(2, driver.transport.ignoredAccesses());
        assertFalse(driver.transport.needsReset());
    }

    @Test
    void shouldDisableQueueWhenDriverWritesQueueReadyZero()
    {
        driver.negotiate(BASE_FEATURES);
        driver.setUpQueue(0, 8);
        driver.write(QUEUE_READY_OFFSET, 0);

        assertEquals(0, driver.read(QUEUE_READY_OFFSET));
        assertEquals(8, driver.read(QUEUE_NUM_OFFSET));
    }

    @Test
    void shouldReadMacAndLinkStatusWhenDriverReadsConfigSpace()
    {
        final byte[] mac = new byte[6];
        for (int i = 0; i < 6; i++)
        {
            driver.transport.read(CONFIG_OFFSET + i, data, 0, 1);
            mac[i] = data.getByte(0);
        }
        assertArrayEquals(TestDriver.MAC, mac);

        driver.transport.read(CONFIG_OFFSET + 6, data, 0, 2);
        assertEquals(1, data.getShort(0, ByteOrder.LITTLE_ENDIAN));
        driver.transport.read(CONFIG_OFFSET, data, 0, 4);
        assertEquals(0x33221102, data.getInt(0, ByteOrder.LITTLE_ENDIAN));
        driver.transport.read(CONFIG_OFFSET, data, 0, 8);
        assertEquals(0x0001_5544_3322_1102L, data.getLong(0, ByteOrder.LITTLE_ENDIAN));
        assertEquals(0, driver.transport.ignoredAccesses());
    }

    @Test
    void shouldIgnoreConfigWriteWhenDriverWritesMac()
    {
        data.putInt(0, 0xffffffff);
        driver.transport.write(CONFIG_OFFSET, data, 0, 4);

        assertArrayEquals(TestDriver.MAC, driver.net.mac());
    }

    @ParameterizedTest
    @CsvSource({
        // past the end of config space (8 bytes)
        "0x108, 1",
        "0x106, 4",
        "0xffc, 4",
        // a config width the spec does not allow
        "0x100, 3",
        // registers are 32-bit and aligned
        "0x000, 2",
        "0x000, 8",
        "0x002, 4",
        "0x070, 1",
        // reserved and write-only registers
        "0x018, 4",
        "0x020, 4",
        "0x050, 4",
        "0x064, 4",
        "0x0c0, 4",
        // outside the window
        "0x1000, 4"})
    void shouldReadZeroAndCountWhenAccessIsUnknownOrWrongWidth(final String offset, final int length)
    {
        data.setMemory(0, 8, (byte)0x5a);

        driver.transport.read(Long.decode(offset), data, 0, length);

        for (int i = 0; i < length; i++)
        {
            assertEquals(0, data.getByte(i));
        }
        assertEquals(1, driver.transport.ignoredAccesses());
    }

    @ParameterizedTest
    @CsvSource({
        "0x000, 4",
        "0x070, 1",
        "0x070, 2",
        "0x038, 8",
        "0x0fc, 4",
        "0x108, 4",
        "0x100, 3"})
    void shouldIgnoreAndCountWhenWriteIsReadOnlyOrWrongWidth(final String offset, final int length)
    {
        driver.negotiate(BASE_FEATURES);
        data.setMemory(0, 8, (byte)0);

        driver.transport.write(Long.decode(offset), data, 0, length);

        assertEquals(NEGOTIATED, driver.read(STATUS_OFFSET));
        assertEquals(1, driver.transport.ignoredAccesses());
    }

    @Test
    void shouldReportNoSharedMemoryRegionWhenProbed()
    {
        assertEquals(-1, driver.read(SHM_LEN_LOW_OFFSET));
    }

    @Test
    void shouldClearStatusQueuesAndFeaturesWhenStatusWrittenZero()
    {
        driver.start(8);
        driver.transmit(0, TestDriver.DATA, TestDriver.frame(20, 1));
        assertEquals(INTERRUPT_USED_BUFFER, driver.read(INTERRUPT_STATUS_OFFSET));

        driver.write(STATUS_OFFSET, 0);

        assertEquals(0, driver.read(STATUS_OFFSET));
        assertEquals(0, driver.read(INTERRUPT_STATUS_OFFSET));
        assertEquals(0, driver.transport.ackedFeatures());
        for (int queue = 0; queue < 2; queue++)
        {
            driver.write(QUEUE_SEL_OFFSET, queue);
            assertEquals(0, driver.read(QUEUE_READY_OFFSET));
            assertEquals(0, driver.read(QUEUE_NUM_OFFSET));
            assertEquals(0, driver.read(QUEUE_DESC_LOW_OFFSET));
            assertEquals(256, driver.read(QUEUE_NUM_MAX_OFFSET));
        }
        // A notify after reset reaches nothing.
        driver.write(QUEUE_NOTIFY_OFFSET, 1);
        assertEquals(1, driver.port.sent.size());
    }

    @Test
    void shouldStartOverWithFreshRingsWhenDriverResetsAndSetsUpAgain()
    {
        driver.start(8);
        driver.transmit(0, TestDriver.DATA, TestDriver.frame(20, 1));
        driver.write(STATUS_OFFSET, 0);
        driver.ram.setMemory((int)descriptorTable(0), 0x8000, (byte)0);

        driver.start(8);
        driver.transmit(3, TestDriver.DATA, TestDriver.frame(30, 2));

        assertEquals(2, driver.port.sent.size());
        assertEquals(1, driver.usedIdx(1));
        assertEquals(3, driver.usedId(1, 0));
    }

    @Test
    void shouldRaiseUsedBufferInterruptUntilAcknowledgedWhenChainsAreUsed()
    {
        driver.start(8);
        driver.transmit(0, TestDriver.DATA, TestDriver.frame(20, 1));

        assertEquals(1, driver.interrupts.count);
        assertEquals(INTERRUPT_USED_BUFFER, driver.read(INTERRUPT_STATUS_OFFSET));
        driver.write(INTERRUPT_ACK_OFFSET, INTERRUPT_USED_BUFFER);
        assertEquals(0, driver.read(INTERRUPT_STATUS_OFFSET));
    }

    @Test
    void shouldDeliverNotifyWhenWrittenToQueueNotifyRegister()
    {
        driver.start(8);
        driver.ram.putBytes((int)TestDriver.DATA, TestDriver.frame(20, 1));
        driver.descriptor(1, 0, TestDriver.DATA, 20, 0, 0);
        driver.offer(1, 0);

        driver.write(QUEUE_NOTIFY_OFFSET, 1);

        assertEquals(1, driver.port.sent.size());
    }

    @Test
    void shouldIgnoreNotifyWhenQueueIndexOutOfRangeOrDeviceInactive()
    {
        driver.negotiate(BASE_FEATURES);
        driver.setUpQueue(0, 8);
        driver.setUpQueue(1, 8);
        driver.ram.putBytes((int)TestDriver.DATA, TestDriver.frame(20, 1));
        driver.descriptor(1, 0, TestDriver.DATA, 20, 0, 0);
        driver.offer(1, 0);

        driver.transport.notifyQueue(1);
        driver.transport.notifyQueue(2);
        driver.transport.notifyQueue(-1);

        assertEquals(0, driver.port.sent.size());
        assertEquals(2, driver.transport.ignoredAccesses());
    }

    @Test
    void shouldNeedResetWhenDriverOkWithoutBothQueuesReady()
    {
        driver.negotiate(BASE_FEATURES);
        driver.setUpQueue(1, 8);
        driver.write(STATUS_OFFSET, RUNNING);

        assertEquals(RUNNING | 0x40, driver.read(STATUS_OFFSET));
        assertEquals("queue not ready at activation: device=virtio-net queue=0", driver.transport.failureReason());
        assertEquals(INTERRUPT_CONFIG_CHANGE, driver.read(INTERRUPT_STATUS_OFFSET));
        assertEquals(-1, driver.port.offloads);
    }

    @Test
    void shouldNeedResetAndKeepServingRegistersWhenDeviceThrows()
    {
        try (GuestMemory memory = GuestMemory.anonymous(TestDriver.RAM_SIZE))
        {
            final CountingTrigger interrupts = new CountingTrigger();
            final VirtioMmioTransport transport = new VirtioMmioTransport(new BrokenDevice(), memory, interrupts);
            data.putInt(0, 0, ByteOrder.LITTLE_ENDIAN);

            transport.read(CONFIG_OFFSET, data, 0, 4);

            assertEquals(0, data.getInt(0));
            assertEquals("device error: during=config_read error=IllegalStateException",
                transport.failureReason());
            assertEquals(0x40, transport.status());
            assertEquals(1, interrupts.count);
        }
    }

    @Test
    void shouldRejectDeviceWhenItDoesNotOfferVersion1()
    {
        try (GuestMemory memory = GuestMemory.anonymous(TestDriver.RAM_SIZE))
        {
            final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class,
                () -> new VirtioMmioTransport(new BrokenDevice()
                {
                    @Override
                    public long deviceFeatures()
                    {
                        return 0x20;
                    }
                }, memory, new CountingTrigger()));
            assertEquals("virtio device must offer VIRTIO_F_VERSION_1: device=broken features=0x20", ex.getMessage());
        }
    }

    /** Test double: a device whose config read has a bug. */
    private static class BrokenDevice implements VirtioDevice
    {
        @Override
        public String name()
        {
            return "broken";
        }

        @Override
        public int deviceId()
        {
            return 42;
        }

        @Override
        public long deviceFeatures()
        {
            return VirtioFeatures.bit(VirtioFeatures.VIRTIO_F_VERSION_1);
        }

        @Override
        public int queueCount()
        {
            return 1;
        }

        @Override
        public int queueMaxSize(final int index)
        {
            return 16;
        }

        @Override
        public int configSize()
        {
            return 4;
        }

        @Override
        public void readConfig(final int offset, final MutableDirectBuffer data, final int index, final int length)
        {
            throw new IllegalStateException("bug");
        }

        @Override
        public void writeConfig(final int offset, final DirectBuffer data, final int index, final int length)
        {
        }

        @Override
        public void activate(final VirtioContext context)
        {
        }

        @Override
        public void queueNotified(final int index)
        {
        }

        @Override
        public void reset()
        {
        }
    }
}
