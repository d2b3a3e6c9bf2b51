package dev.hatchery.devices.virtio;

import java.nio.ByteOrder;

import org.agrona.MutableDirectBuffer;

/**
 * Checks and cleans the virtio_net_hdr_v1 a guest put in front of a transmitted frame (virtio 1.x §5.1.6) before the
 * frame reaches the tap, whose kernel acts on it: a field is honoured only when the driver accepted the feature it
 * needs. Fields that need an offload the driver did not accept are refused (the frame is dropped); fields the
 * transmit direction does not use are cleared, so with offloads off the host kernel only ever sees a zero header.
 */
final class VnetHeader
{
    static final int LENGTH = VirtioNet.VNET_HDR_LENGTH;

    static final int FLAGS_OFFSET = 0;
    static final int GSO_TYPE_OFFSET = 1;
    static final int HDR_LEN_OFFSET = 2;
    static final int GSO_SIZE_OFFSET = 4;
    static final int CSUM_START_OFFSET = 6;
    static final int CSUM_OFFSET_OFFSET = 8;
    static final int NUM_BUFFERS_OFFSET = 10;

    static final int FLAG_NEEDS_CSUM = 1;
    static final int GSO_NONE = 0;
    static final int GSO_TCPV4 = 1;
    static final int GSO_UDP = 3;
    static final int GSO_TCPV6 = 4;
    static final int GSO_ECN = 0x80;

    /** Why a header was refused; null from {@link #sanitize} means it was accepted (perhaps cleaned). */
    enum Refusal
    {
        CHECKSUM_NOT_NEGOTIATED,
        CHECKSUM_OUT_OF_FRAME,
        GSO_NOT_NEGOTIATED,
        GSO_WITHOUT_CHECKSUM,
        GSO_SIZE_ZERO
    }

    private VnetHeader()
    {
    }

    /**
     * Cleans the header at {@code index} of a frame of {@code length} bytes (header included) in place, or says why it
     * is refused. Accepted: NEEDS_CSUM with VIRTIO_NET_F_CSUM and the checksum field inside the packet; TCPv4/TCPv6
     * segmentation with HOST_TSO4/HOST_TSO6, NEEDS_CSUM and a non-zero segment size. Cleared: every other flag bit
     * (DATA_VALID and RSC_INFO belong to receive), the checksum fields without NEEDS_CSUM, the segmentation fields
     * without segmentation, num_buffers (receive only). UDP fragmentation and ECN are never offered, so always refused.
     */
    static Refusal sanitize(final MutableDirectBuffer frame, final int index, final int length, final long ackedFeatures)
    {
        final int flags = frame.getByte(index + FLAGS_OFFSET) & FLAG_NEEDS_CSUM;
        final int gsoType = frame.getByte(index + GSO_TYPE_OFFSET) & 0xff;
        final int packetLength = length - LENGTH;
        if (flags != 0)
        {
            if (!VirtioFeatures.has(ackedFeatures, VirtioNet.VIRTIO_NET_F_CSUM))
            {
                return Refusal.CHECKSUM_NOT_NEGOTIATED;
            }
            final int start = unsignedShort(frame, index + CSUM_START_OFFSET);
            final int offset = unsignedShort(frame, index + CSUM_OFFSET_OFFSET);
            if (start + offset + 2 > packetLength)
            {
                return Refusal.CHECKSUM_OUT_OF_FRAME;
            }
        }
        else
        {
            putShort(frame, index + CSUM_START_OFFSET, 0);
            putShort(frame, index + CSUM_OFFSET_OFFSET, 0);
        }
        if (gsoType != GSO_NONE)
        {
            final int feature = gsoType == GSO_TCPV4 ? VirtioNet.VIRTIO_NET_F_HOST_TSO4
                : gsoType == GSO_TCPV6 ? VirtioNet.VIRTIO_NET_F_HOST_TSO6 : -1;
            if (feature < 0 || !VirtioFeatures.has(ackedFeatures, feature))
            {
                return Refusal.GSO_NOT_NEGOTIATED;
            }
            if (flags == 0)
            {
                return Refusal.GSO_WITHOUT_CHECKSUM;
            }
            if (unsignedShort(frame, index + GSO_SIZE_OFFSET) == 0)
            {
                return Refusal.GSO_SIZE_ZERO;
            }
        }
        else
        {
            putShort(frame, index + HDR_LEN_OFFSET, 0);
            putShort(frame, index + GSO_SIZE_OFFSET, 0);
        }
        frame.putByte(index + FLAGS_OFFSET, (byte)flags);
        putShort(frame, index + NUM_BUFFERS_OFFSET, 0);
        return null;
    }

    private static int unsignedShort(final MutableDirectBuffer frame, final int index)
    {
        return frame.getShort(index, ByteOrder.LITTLE_ENDIAN) & 0xffff;
    }

    private static void putShort(final MutableDirectBuffer frame, final int index, final int value)
    {
        frame.putShort(index, (short)value, ByteOrder.LITTLE_ENDIAN);
    }
}
