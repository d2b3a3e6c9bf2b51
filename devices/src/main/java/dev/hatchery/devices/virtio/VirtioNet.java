package dev.hatchery.devices.virtio;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Objects;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.hatchery.kvm.Tap;

/**
 * virtio-net (virtio 1.x §5.1) with one receive queue (0) and one transmit queue (1), no control
 * queue, no mergeable receive buffers. Frames keep their 12-byte virtio_net_hdr_v1 on both sides and
 * are copied between descriptor chains and a {@link PacketPort} without being parsed; with the tap's
 * IFF_VNET_HDR the checksum and TSO offloads then only need the header passed through.
 * <p>
 * Transmit runs on a TX queue notify. Receive runs when the event loop reports the tap readable
 * ({@link #onPacketsReadable()}) and on an RX queue notify (the guest posted buffers): it moves frames
 * while the guest has buffers and leaves the rest in the tap when it has none. Register the tap fd
 * edge-triggered (EPOLLET): the device drains it until it is empty or the guest runs out of buffers,
 * and resumes on the guest's next RX notify, so a level-triggered fd would spin while the guest is slow.
 * <p>
 * Each call moves at most {@link #WORK_BUDGET} frames per direction, so a guest that keeps its TX queue full, or a
 * flood into its tap, cannot hold a shared event loop: what is left is {@link #hasPendingWork() pending}, and the
 * loop {@link #resume()}s it after the other VMs on it had their turn; until then further notifies and tap wakeups of
 * that direction add no work (the resume covers them). Transmitted frames pass {@link VnetHeader}
 * (offload fields the driver did not accept are refused) and, when given, a {@link SourceFilter}.
 */
public final class VirtioNet implements VirtioDevice
{
    public static final int DEVICE_ID = 1;
    public static final int RX_QUEUE = 0;
    public static final int TX_QUEUE = 1;
    public static final int QUEUE_SIZE = 256;
    /** Frames moved per direction per call before the device yields its event loop (as a NAPI poll budget does). */
    public static final int WORK_BUDGET = 64;

    /** Feature bits (virtio 1.x §5.1.3). */
    public static final int VIRTIO_NET_F_CSUM = 0;
    public static final int VIRTIO_NET_F_GUEST_CSUM = 1;
    public static final int VIRTIO_NET_F_MAC = 5;
    public static final int VIRTIO_NET_F_GUEST_TSO4 = 7;
    public static final int VIRTIO_NET_F_GUEST_TSO6 = 8;
    public static final int VIRTIO_NET_F_HOST_TSO4 = 11;
    public static final int VIRTIO_NET_F_HOST_TSO6 = 12;
    public static final int VIRTIO_NET_F_MRG_RXBUF = 15;
    public static final int VIRTIO_NET_F_STATUS = 16;

    /** Config space: mac[6], status u16. */
    static final int CONFIG_MAC_OFFSET = 0;
    static final int CONFIG_STATUS_OFFSET = 6;
    static final int CONFIG_LENGTH = 8;
    static final int VIRTIO_NET_S_LINK_UP = 1;

    public static final int MAC_LENGTH = 6;

    /** virtio_net_hdr_v1: flags u8, gso_type u8, hdr_len u16, gso_size u16, csum_start u16, csum_offset u16, num_buffers u16. */
    public static final int VNET_HDR_LENGTH = 12;

    /** The header, then the largest frame a 64 KiB GSO packet makes (as Firecracker sizes it). */
    public static final int MAX_FRAME_LENGTH = VNET_HDR_LENGTH + 65550;

    private static final long BASE_FEATURES = VirtioFeatures.bit(VirtioFeatures.VIRTIO_F_VERSION_1)
        | VirtioFeatures.bit(VIRTIO_NET_F_MAC) | VirtioFeatures.bit(VIRTIO_NET_F_STATUS);
    private static final long OFFLOAD_FEATURES = VirtioFeatures.bit(VIRTIO_NET_F_CSUM)
        | VirtioFeatures.bit(VIRTIO_NET_F_GUEST_CSUM) | VirtioFeatures.bit(VIRTIO_NET_F_GUEST_TSO4)
        | VirtioFeatures.bit(VIRTIO_NET_F_GUEST_TSO6) | VirtioFeatures.bit(VIRTIO_NET_F_HOST_TSO4)
        | VirtioFeatures.bit(VIRTIO_NET_F_HOST_TSO6);

    private static final Logger LOG = LoggerFactory.getLogger(VirtioNet.class);

    private final PacketPort port;
    private final long features;
    /** Null: the guest may send any frame (no isolation). */
    private final SourceFilter sourceFilter;
    private final UnsafeBuffer config = new UnsafeBuffer(new byte[CONFIG_LENGTH]);
    private final UnsafeBuffer rxFrame = new UnsafeBuffer(ByteBuffer.allocateDirect(MAX_FRAME_LENGTH));
    private final UnsafeBuffer txFrame = new UnsafeBuffer(ByteBuffer.allocateDirect(MAX_FRAME_LENGTH));
    private final DescriptorChain rxChain = new DescriptorChain(QUEUE_SIZE);
    private final DescriptorChain txChain = new DescriptorChain(QUEUE_SIZE);

    private VirtioContext context;
    /** rxChain was popped but no frame has been put in it yet (the tap was empty, or frames were too big). */
    private boolean rxChainHeld;
    /** The last call stopped at WORK_BUDGET with guest buffers (TX) or tap frames (RX) perhaps left. */
    private boolean txPending;
    private boolean rxPending;

    private long rxFrames;
    private long rxBytes;
    private long rxDropped;
    private long txFrames;
    private long txBytes;
    private long txDropped;
    private long txBadHeaders;
    private long txFiltered;
    private long portErrors;

    /**
     * @param mac      six bytes, unicast; see {@link #macFromSeed(long)}.
     * @param offloads offer checksum and TSO offloads (passed through in the vnet header).
     */
    public VirtioNet(final PacketPort port, final byte[] mac, final boolean offloads)
    {
        this(port, mac, offloads, null);
    }

    /** @param sourceFilter frames the guest may send, or null for any */
    public VirtioNet(final PacketPort port, final byte[] mac, final boolean offloads, final SourceFilter sourceFilter)
    {
        this.sourceFilter = sourceFilter;
        this.port = Objects.requireNonNull(port, "port");
        Objects.requireNonNull(mac, "mac");
        if (mac.length != MAC_LENGTH || (mac[0] & 0x01) != 0)
        {
            throw new IllegalArgumentException("MAC must be 6 bytes and unicast: mac=" + formatMac(mac));
        }
        features = BASE_FEATURES | (offloads ? OFFLOAD_FEATURES : 0);
        config.putBytes(CONFIG_MAC_OFFSET, mac);
        config.putShort(CONFIG_STATUS_OFFSET, (short)VIRTIO_NET_S_LINK_UP, ByteOrder.LITTLE_ENDIAN);
    }

    /** A locally administered unicast MAC derived from a seed (e.g. the VM id), the same for the same seed. */
    public static byte[] macFromSeed(final long seed)
    {
        // splitmix64 finaliser: nearby seeds give unrelated addresses.
        long z = seed + 0x9e37_79b9_7f4a_7c15L;
        z = (z ^ (z >>> 30)) * 0xbf58_476d_1ce4_e5b9L;
        z = (z ^ (z >>> 27)) * 0x94d0_49bb_1331_11ebL;
        z ^= z >>> 31;
        final byte[] mac = new byte[MAC_LENGTH];
        for (int i = 0; i < MAC_LENGTH; i++)
        {
            mac[i] = (byte)(z >>> (8 * i));
        }
        mac[0] = (byte)((mac[0] & 0xfe) | 0x02);
        return mac;
    }

    public static String formatMac(final byte[] mac)
    {
        final StringBuilder text = new StringBuilder(3 * mac.length);
        for (int i = 0; i < mac.length; i++)
        {
            if (i > 0)
            {
                text.append(':');
            }
            text.append(Character.forDigit((mac[i] >> 4) & 0xf, 16)).append(Character.forDigit(mac[i] & 0xf, 16));
        }
        return text.toString();
    }

    public synchronized byte[] mac()
    {
        final byte[] mac = new byte[MAC_LENGTH];
        config.getBytes(CONFIG_MAC_OFFSET, mac);
        return mac;
    }

    @Override
    public String name()
    {
        return "virtio-net";
    }

    @Override
    public int deviceId()
    {
        return DEVICE_ID;
    }

    @Override
    public long deviceFeatures()
    {
        return features;
    }

    /** A TSO feature needs its checksum feature (virtio 1.x §5.1.3.1). */
    @Override
    public boolean acceptsFeatures(final long driverFeatures)
    {
        final boolean guestTso = VirtioFeatures.has(driverFeatures, VIRTIO_NET_F_GUEST_TSO4)
            || VirtioFeatures.has(driverFeatures, VIRTIO_NET_F_GUEST_TSO6);
        final boolean hostTso = VirtioFeatures.has(driverFeatures, VIRTIO_NET_F_HOST_TSO4)
            || VirtioFeatures.has(driverFeatures, VIRTIO_NET_F_HOST_TSO6);
        return (!guestTso || VirtioFeatures.has(driverFeatures, VIRTIO_NET_F_GUEST_CSUM))
            && (!hostTso || VirtioFeatures.has(driverFeatures, VIRTIO_NET_F_CSUM));
    }

    @Override
    public int queueCount()
    {
        return 2;
    }

    @Override
    public int queueMaxSize(final int index)
    {
        return QUEUE_SIZE;
    }

    @Override
    public int configSize()
    {
        return CONFIG_LENGTH;
    }

    @Override
    public synchronized void readConfig(final int offset, final MutableDirectBuffer data, final int index, final int length)
    {
        data.putBytes(index, config, offset, length);
    }

    /** The MAC is read-only for a modern driver (it would use the control queue, not offered). */
    @Override
    public void writeConfig(final int offset, final DirectBuffer data, final int index, final int length)
    {
    }

    @Override
    public synchronized void activate(final VirtioContext context)
    {
        for (int i = 0; i < queueCount(); i++)
        {
            if (!context.queue(i).isReady())
            {
                context.fail("queue not ready at activation: device=" + name() + " queue=" + i);
                return;
            }
        }
        this.context = context;
        rxChainHeld = false;
        txPending = false;
        rxPending = false;
        port.configureOffloads(tunOffloads(context.ackedFeatures()));
    }

    /**
     * A direction that has work {@link #hasPendingWork() pending} ignores a notify: the {@link #resume()} that was promised
     * moves those frames too, so a guest that kicks its TX queue for every frame gets one budget per loop round, not one
     * per kick.
     */
    @Override
    public synchronized void queueNotified(final int index)
    {
        if (index == TX_QUEUE && !txPending)
        {
            transmit();
        }
        else if (index == RX_QUEUE && !rxPending)
        {
            receive();
        }
    }

    /**
     * The event loop saw the tap readable: move frames into the guest's RX buffers while it has any. Ignored while receive
     * work is pending, as a notify is: the resume reads the tap until it is empty or the budget is used.
     */
    public synchronized void onPacketsReadable()
    {
        if (!rxPending)
        {
            receive();
        }
    }

    /** Whether the last call left frames to move because it reached {@link #WORK_BUDGET}; then call {@link #resume()}. */
    public synchronized boolean hasPendingWork()
    {
        return context != null && (txPending || rxPending);
    }

    /** Moves up to another {@link #WORK_BUDGET} frames in each direction that had some left. */
    public synchronized void resume()
    {
        if (txPending)
        {
            transmit();
        }
        if (rxPending)
        {
            receive();
        }
    }

    @Override
    public synchronized void reset()
    {
        context = null;
        rxChainHeld = false;
        txPending = false;
        rxPending = false;
    }

    public synchronized long rxFrames()
    {
        return rxFrames;
    }

    public synchronized long rxBytes()
    {
        return rxBytes;
    }

    /** Frames from the port that did not fit the guest's buffer chain, or were shorter than a vnet header. */
    public synchronized long rxDropped()
    {
        return rxDropped;
    }

    public synchronized long txFrames()
    {
        return txFrames;
    }

    public synchronized long txBytes()
    {
        return txBytes;
    }

    /**
     * Guest frames not sent: shorter than a vnet header, longer than {@link #MAX_FRAME_LENGTH}, refused by their header
     * or the source filter, or not taken by the port.
     */
    public synchronized long txDropped()
    {
        return txDropped;
    }

    /** Of {@link #txDropped()}: frames whose vnet header asked for an offload the driver had not accepted. */
    public synchronized long txBadHeaders()
    {
        return txBadHeaders;
    }

    /** Of {@link #txDropped()}: frames the {@link SourceFilter} refused (another source MAC or IP, or not IPv4/ARP). */
    public synchronized long txFiltered()
    {
        return txFiltered;
    }

    /** Exceptions from the port (I/O errors on the tap); a TX frame that hit one also counts as dropped. */
    public synchronized long portErrors()
    {
        return portErrors;
    }

    @Override
    public synchronized String toString()
    {
        return "VirtioNet: mac=" + formatMac(mac()) + " active=" + (context != null) + " rx_frames=" + rxFrames
            + " rx_dropped=" + rxDropped + " tx_frames=" + txFrames + " tx_dropped=" + txDropped + " tx_bad_headers="
            + txBadHeaders + " tx_filtered=" + txFiltered + " port_errors=" + portErrors;
    }

    /** A frame from the port, or 0 when there is none or the port failed (counted, logged). */
    private int readFrame()
    {
        try
        {
            return Math.max(0, port.read(rxFrame, 0, MAX_FRAME_LENGTH));
        }
        catch (final RuntimeException ex)
        {
            portError("read", ex);
            return 0;
        }
    }

    /** Bytes the port took, or 0 when it took nothing or failed (counted, logged). */
    private int writeFrame(final int length)
    {
        try
        {
            return Math.max(0, port.write(txFrame, 0, length));
        }
        catch (final RuntimeException ex)
        {
            portError("write", ex);
            return 0;
        }
    }

    /** A host-side fault, not the guest's: the device stays up. Logged at 1, 2, 4, 8... errors so a dead tap cannot flood the log. */
    private void portError(final String operation, final RuntimeException ex)
    {
        portErrors++;
        if (Long.bitCount(portErrors) == 1)
        {
            LOG.warn("virtio_net.port_error mac={} operation={} port_errors={} error=\"{}\"", formatMac(mac()), operation,
                portErrors, ex.toString());
        }
    }

    /** The tap may send the guest only what the guest accepted to receive (the GUEST_* features). */
    static int tunOffloads(final long ackedFeatures)
    {
        int flags = 0;
        if (VirtioFeatures.has(ackedFeatures, VIRTIO_NET_F_GUEST_CSUM))
        {
            flags |= Tap.TUN_F_CSUM;
            if (VirtioFeatures.has(ackedFeatures, VIRTIO_NET_F_GUEST_TSO4))
            {
                flags |= Tap.TUN_F_TSO4;
            }
            if (VirtioFeatures.has(ackedFeatures, VIRTIO_NET_F_GUEST_TSO6))
            {
                flags |= Tap.TUN_F_TSO6;
            }
        }
        return flags;
    }

    private void transmit()
    {
        txPending = false;
        if (context == null)
        {
            return;
        }
        final Virtqueue tx = context.queue(TX_QUEUE);
        int moved = 0;
        while (tx.pop(txChain))
        {
            final int length = txChain.readableBytes();
            if (length < VNET_HDR_LENGTH || length > MAX_FRAME_LENGTH)
            {
                txDropped++;
            }
            else
            {
                txChain.gather(txFrame, 0, length);
                send(length);
            }
            tx.pushUsed(txChain.head(), 0);
            if (++moved == WORK_BUDGET)
            {
                txPending = true;
                break;
            }
        }
        tx.interruptIfNeeded();
    }

    /** Sends the gathered frame if its header and source pass, counting what happened to it. */
    private void send(final int length)
    {
        if (VnetHeader.sanitize(txFrame, 0, length, context.ackedFeatures()) != null)
        {
            txBadHeaders++;
            txDropped++;
        }
        else if (sourceFilter != null && !sourceFilter.permits(txFrame, VNET_HDR_LENGTH, length - VNET_HDR_LENGTH))
        {
            txFiltered++;
            txDropped++;
        }
        else if (writeFrame(length) == length)
        {
            txFrames++;
            txBytes += length - VNET_HDR_LENGTH;
        }
        else
        {
            txDropped++;
        }
    }

    private void receive()
    {
        rxPending = false;
        if (context == null)
        {
            return;
        }
        final Virtqueue rx = context.queue(RX_QUEUE);
        int read = 0;
        while (!rx.isHalted())
        {
            if (read == WORK_BUDGET)
            {
                // Frames dropped for size count too: a flood of them must not hold the loop either.
                rxPending = true;
                break;
            }
            if (!rxChainHeld)
            {
                if (!rx.pop(rxChain))
                {
                    // No buffers (or the queue failed): frames stay in the tap until the guest posts more.
                    break;
                }
                rxChainHeld = true;
            }
            final int length = readFrame();
            if (length <= 0)
            {
                break;
            }
            read++;
            if (length < VNET_HDR_LENGTH || length > rxChain.writableBytes())
            {
                // Keep the chain for the next frame rather than hand the guest an empty buffer.
                rxDropped++;
                continue;
            }
            // Without VIRTIO_NET_F_MRG_RXBUF a frame always takes one buffer; the tap skips this field.
            rxFrame.putShort(VnetHeader.NUM_BUFFERS_OFFSET, (short)1, ByteOrder.LITTLE_ENDIAN);
            rxChain.scatter(rxFrame, 0, length);
            rx.pushUsed(rxChain.head(), length);
            rxChainHeld = false;
            rxFrames++;
            rxBytes += length - VNET_HDR_LENGTH;
        }
        rx.interruptIfNeeded();
    }
}
