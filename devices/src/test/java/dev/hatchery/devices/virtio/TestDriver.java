package dev.hatchery.devices.virtio;

import static dev.hatchery.devices.virtio.VirtioMmioTransport.DRIVER_FEATURES_OFFSET;
import static dev.hatchery.devices.virtio.VirtioMmioTransport.DRIVER_FEATURES_SEL_OFFSET;
import static dev.hatchery.devices.virtio.VirtioMmioTransport.QUEUE_DESC_HIGH_OFFSET;
import static dev.hatchery.devices.virtio.VirtioMmioTransport.QUEUE_DESC_LOW_OFFSET;
import static dev.hatchery.devices.virtio.VirtioMmioTransport.QUEUE_DEVICE_HIGH_OFFSET;
import static dev.hatchery.devices.virtio.VirtioMmioTransport.QUEUE_DEVICE_LOW_OFFSET;
import static dev.hatchery.devices.virtio.VirtioMmioTransport.QUEUE_DRIVER_HIGH_OFFSET;
import static dev.hatchery.devices.virtio.VirtioMmioTransport.QUEUE_DRIVER_LOW_OFFSET;
import static dev.hatchery.devices.virtio.VirtioMmioTransport.QUEUE_NUM_OFFSET;
import static dev.hatchery.devices.virtio.VirtioMmioTransport.QUEUE_READY_OFFSET;
import static dev.hatchery.devices.virtio.VirtioMmioTransport.QUEUE_SEL_OFFSET;
import static dev.hatchery.devices.virtio.VirtioMmioTransport.STATUS_ACKNOWLEDGE;
import static dev.hatchery.devices.virtio.VirtioMmioTransport.STATUS_DRIVER;
import static dev.hatchery.devices.virtio.VirtioMmioTransport.STATUS_DRIVER_OK;
import static dev.hatchery.devices.virtio.VirtioMmioTransport.STATUS_FEATURES_OK;
import static dev.hatchery.devices.virtio.VirtioMmioTransport.STATUS_OFFSET;

import java.nio.ByteOrder;

import org.agrona.concurrent.UnsafeBuffer;

import dev.hatchery.kvm.GuestMemory;

/**
 * Plays the guest's virtio driver against one virtio-net device in its own 1 MiB of guest RAM: register
 * accesses through the transport, rings written straight into guest memory.
 */
final class TestDriver implements AutoCloseable
{
    static final int RAM_SIZE = 1 << 20;
    /** Data buffers live from here up; rings below. */
    static final long DATA = 0x40000;
    static final long BASE_FEATURES = VirtioFeatures.bit(VirtioFeatures.VIRTIO_F_VERSION_1)
        | VirtioFeatures.bit(VirtioNet.VIRTIO_NET_F_MAC) | VirtioFeatures.bit(VirtioNet.VIRTIO_NET_F_STATUS);
    static final int RUNNING = STATUS_ACKNOWLEDGE | STATUS_DRIVER | STATUS_FEATURES_OK | STATUS_DRIVER_OK;
    static final byte[] MAC = {0x02, 0x11, 0x22, 0x33, 0x44, 0x55};

    final GuestMemory memory = GuestMemory.anonymous(RAM_SIZE);
    final UnsafeBuffer ram = memory.view(0, RAM_SIZE);
    final CountingTrigger interrupts = new CountingTrigger();
    final FakePacketPort port = new FakePacketPort();
    final VirtioNet net;
    final VirtioMmioTransport transport;
    private final UnsafeBuffer register = new UnsafeBuffer(new byte[8]);
    private final int[] sizes = new int[2];
    private final int[] availIdx = new int[2];

    TestDriver()
    {
        this(MAC, true);
    }

    TestDriver(final byte[] mac, final boolean offloads)
    {
        this(mac, offloads, null);
    }

    TestDriver(final byte[] mac, final boolean offloads, final SourceFilter filter)
    {
        net = new VirtioNet(port, mac, offloads, filter);
        transport = new VirtioMmioTransport(net, memory, interrupts);
    }

    static long descriptorTable(final int queue)
    {
        return 0x10000L + 0x4000L * queue;
    }

    static long availRing(final int queue)
    {
        return descriptorTable(queue) + 0x1000;
    }

    static long usedRing(final int queue)
    {
        return descriptorTable(queue) + 0x2000;
    }

    int read(final int offset)
    {
        transport.read(offset, register, 0, 4);
        return register.getInt(0, ByteOrder.LITTLE_ENDIAN);
    }

    void write(final int offset, final int value)
    {
        register.putInt(0, value, ByteOrder.LITTLE_ENDIAN);
        transport.write(offset, register, 0, 4);
    }

    /** ACKNOWLEDGE, DRIVER, features, FEATURES_OK, as Linux does; returns the status read back. */
    int negotiate(final long features)
    {
        write(STATUS_OFFSET, STATUS_ACKNOWLEDGE);
        write(STATUS_OFFSET, STATUS_ACKNOWLEDGE | STATUS_DRIVER);
        write(DRIVER_FEATURES_SEL_OFFSET, 0);
        write(DRIVER_FEATURES_OFFSET, (int)features);
        write(DRIVER_FEATURES_SEL_OFFSET, 1);
        write(DRIVER_FEATURES_OFFSET, (int)(features >>> 32));
        write(STATUS_OFFSET, STATUS_ACKNOWLEDGE | STATUS_DRIVER | STATUS_FEATURES_OK);
        return read(STATUS_OFFSET);
    }

    void setUpQueue(final int queue, final int size)
    {
        setUpQueue(queue, size, descriptorTable(queue), availRing(queue), usedRing(queue));
    }

    void setUpQueue(final int queue, final int size, final long descriptors, final long avail, final long used)
    {
        sizes[queue] = size;
        availIdx[queue] = 0;
        write(QUEUE_SEL_OFFSET, queue);
        write(QUEUE_NUM_OFFSET, size);
        write(QUEUE_DESC_LOW_OFFSET, (int)descriptors);
        write(QUEUE_DESC_HIGH_OFFSET, (int)(descriptors >>> 32));
        write(QUEUE_DRIVER_LOW_OFFSET, (int)avail);
        write(QUEUE_DRIVER_HIGH_OFFSET, (int)(avail >>> 32));
        write(QUEUE_DEVICE_LOW_OFFSET, (int)used);
        write(QUEUE_DEVICE_HIGH_OFFSET, (int)(used >>> 32));
        write(QUEUE_READY_OFFSET, 1);
    }

    /** Negotiates the base features, sets up both queues with the given size and sets DRIVER_OK. */
    void start(final int queueSize)
    {
        start(BASE_FEATURES, queueSize);
    }

    void start(final long features, final int queueSize)
    {
        negotiate(features);
        setUpQueue(VirtioNet.RX_QUEUE, queueSize);
        setUpQueue(VirtioNet.TX_QUEUE, queueSize);
        write(STATUS_OFFSET, RUNNING);
    }

    void descriptor(final int queue, final int index, final long address, final int length, final int flags,
        final int next)
    {
        final int offset = (int)descriptorTable(queue) + 16 * index;
        ram.putLong(offset, address, ByteOrder.LITTLE_ENDIAN);
        ram.putInt(offset + 8, length, ByteOrder.LITTLE_ENDIAN);
        ram.putShort(offset + 12, (short)flags, ByteOrder.LITTLE_ENDIAN);
        ram.putShort(offset + 14, (short)next, ByteOrder.LITTLE_ENDIAN);
    }

    /** Puts a head in the available ring and publishes it. */
    void offer(final int queue, final int head)
    {
        final int slot = availIdx[queue] & (sizes[queue] - 1);
        ram.putShort((int)availRing(queue) + 4 + 2 * slot, (short)head, ByteOrder.LITTLE_ENDIAN);
        availIdx(queue, availIdx[queue] + 1);
    }

    void availIdx(final int queue, final int idx)
    {
        availIdx[queue] = idx & 0xffff;
        ram.putShort((int)availRing(queue) + 2, (short)idx, ByteOrder.LITTLE_ENDIAN);
    }

    void availFlags(final int queue, final int flags)
    {
        ram.putShort((int)availRing(queue), (short)flags, ByteOrder.LITTLE_ENDIAN);
    }

    int usedIdx(final int queue)
    {
        return ram.getShort((int)usedRing(queue) + 2, ByteOrder.LITTLE_ENDIAN) & 0xffff;
    }

    int usedId(final int queue, final int slot)
    {
        return ram.getInt((int)usedRing(queue) + 4 + 8 * slot, ByteOrder.LITTLE_ENDIAN);
    }

    int usedLength(final int queue, final int slot)
    {
        return ram.getInt((int)usedRing(queue) + 4 + 8 * slot + 4, ByteOrder.LITTLE_ENDIAN);
    }

    /** A one-descriptor TX frame at {@code address}: offered on the TX queue and notified. */
    void transmit(final int head, final long address, final byte[] frame)
    {
        ram.putBytes((int)address, frame);
        descriptor(VirtioNet.TX_QUEUE, head, address, frame.length, 0, 0);
        offer(VirtioNet.TX_QUEUE, head);
        transport.notifyQueue(VirtioNet.TX_QUEUE);
    }

    /** A frame with a zero vnet header (when it is long enough for one) and then bytes that follow from the seed. */
    static byte[] frame(final int length, final int seed)
    {
        final byte[] frame = new byte[length];
        for (int i = length >= VirtioNet.VNET_HDR_LENGTH ? VirtioNet.VNET_HDR_LENGTH : 0; i < length; i++)
        {
            frame[i] = (byte)(seed + i);
        }
        return frame;
    }

    @Override
    public void close()
    {
        memory.close();
    }
}
