package dev.hatchery.devices.virtio;

import static dev.hatchery.devices.virtio.VnetHeader.CSUM_OFFSET_OFFSET;
import static dev.hatchery.devices.virtio.VnetHeader.CSUM_START_OFFSET;
import static dev.hatchery.devices.virtio.VnetHeader.FLAGS_OFFSET;
import static dev.hatchery.devices.virtio.VnetHeader.GSO_SIZE_OFFSET;
import static dev.hatchery.devices.virtio.VnetHeader.GSO_TYPE_OFFSET;
import static dev.hatchery.devices.virtio.VnetHeader.HDR_LEN_OFFSET;
import static dev.hatchery.devices.virtio.VnetHeader.NUM_BUFFERS_OFFSET;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.nio.ByteOrder;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Each field of the transmit header: honoured only with the feature it needs, cleared where transmit has no use for it. */
class VnetHeaderTest
{
    private static final int LENGTH = 12 + 1514;
    private static final long NONE = VirtioFeatures.bit(VirtioFeatures.VIRTIO_F_VERSION_1);
    private static final long CSUM = NONE | VirtioFeatures.bit(VirtioNet.VIRTIO_NET_F_CSUM);
    private static final long TSO = CSUM | VirtioFeatures.bit(VirtioNet.VIRTIO_NET_F_HOST_TSO4)
        | VirtioFeatures.bit(VirtioNet.VIRTIO_NET_F_HOST_TSO6);

    private final UnsafeBuffer frame = new UnsafeBuffer(new byte[LENGTH]);

    private void field(final int offset, final int value)
    {
        frame.putShort(offset, (short)value, ByteOrder.LITTLE_ENDIAN);
    }

    private int fieldValue(final int offset)
    {
        return frame.getShort(offset, ByteOrder.LITTLE_ENDIAN) & 0xffff;
    }

    @Test
    void shouldPassAZeroHeaderUnchangedWithoutAnyOffload()
    {
        assertNull(VnetHeader.sanitize(frame, 0, LENGTH, NONE));
        for (int i = 0; i < VnetHeader.LENGTH; i++)
        {
            assertEquals(0, frame.getByte(i), "byte " + i);
        }
    }

    @Test
    void shouldRefuseNeedsCsumWhenTheDriverDidNotAcceptChecksumOffload()
    {
        frame.putByte(FLAGS_OFFSET, (byte)VnetHeader.FLAG_NEEDS_CSUM);
        field(CSUM_START_OFFSET, 34);
        field(CSUM_OFFSET_OFFSET, 16);

        assertEquals(VnetHeader.Refusal.CHECKSUM_NOT_NEGOTIATED, VnetHeader.sanitize(frame, 0, LENGTH, NONE));
    }

    @Test
    void shouldKeepNeedsCsumAndItsFieldsWhenChecksumOffloadWasAccepted()
    {
        frame.putByte(FLAGS_OFFSET, (byte)VnetHeader.FLAG_NEEDS_CSUM);
        field(CSUM_START_OFFSET, 34);
        field(CSUM_OFFSET_OFFSET, 16);

        assertNull(VnetHeader.sanitize(frame, 0, LENGTH, CSUM));
        assertEquals(VnetHeader.FLAG_NEEDS_CSUM, frame.getByte(FLAGS_OFFSET));
        assertEquals(34, fieldValue(CSUM_START_OFFSET));
        assertEquals(16, fieldValue(CSUM_OFFSET_OFFSET));
    }

    @Test
    void shouldRefuseAChecksumFieldPastTheEndOfThePacket()
    {
        frame.putByte(FLAGS_OFFSET, (byte)VnetHeader.FLAG_NEEDS_CSUM);
        field(CSUM_START_OFFSET, 1500);
        field(CSUM_OFFSET_OFFSET, 13);

        assertEquals(VnetHeader.Refusal.CHECKSUM_OUT_OF_FRAME, VnetHeader.sanitize(frame, 0, LENGTH, CSUM));
        field(CSUM_OFFSET_OFFSET, 12);
        assertNull(VnetHeader.sanitize(frame, 0, LENGTH, CSUM), "the last two bytes of the packet are inside it");
    }

    @Test
    void shouldClearChecksumFieldsWithoutNeedsCsum()
    {
        field(CSUM_START_OFFSET, 0xffff);
        field(CSUM_OFFSET_OFFSET, 0xffff);

        assertNull(VnetHeader.sanitize(frame, 0, LENGTH, NONE));
        assertEquals(0, fieldValue(CSUM_START_OFFSET));
        assertEquals(0, fieldValue(CSUM_OFFSET_OFFSET));
    }

    @ParameterizedTest
    @ValueSource(ints = {0x02, 0x04, 0x80, 0xfe})
    void shouldClearFlagBitsThatTransmitDoesNotUse(final int flags)
    {
        frame.putByte(FLAGS_OFFSET, (byte)flags);

        assertNull(VnetHeader.sanitize(frame, 0, LENGTH, TSO));
        assertEquals(0, frame.getByte(FLAGS_OFFSET));
    }

    @ParameterizedTest
    @ValueSource(ints = {VnetHeader.GSO_TCPV4, VnetHeader.GSO_TCPV6})
    void shouldRefuseTcpSegmentationWhenTheDriverDidNotAcceptIt(final int gsoType)
    {
        frame.putByte(FLAGS_OFFSET, (byte)VnetHeader.FLAG_NEEDS_CSUM);
        frame.putByte(GSO_TYPE_OFFSET, (byte)gsoType);
        field(GSO_SIZE_OFFSET, 1448);

        assertEquals(VnetHeader.Refusal.GSO_NOT_NEGOTIATED, VnetHeader.sanitize(frame, 0, LENGTH, CSUM));
        assertNull(VnetHeader.sanitize(frame, 0, LENGTH, TSO));
        assertEquals(gsoType, frame.getByte(GSO_TYPE_OFFSET));
        assertEquals(1448, fieldValue(GSO_SIZE_OFFSET));
    }

    @ParameterizedTest
    @ValueSource(ints = {VnetHeader.GSO_UDP, VnetHeader.GSO_TCPV4 | VnetHeader.GSO_ECN, 2, 5, 0x7f})
    void shouldRefuseSegmentationKindsNeverOffered(final int gsoType)
    {
        frame.putByte(FLAGS_OFFSET, (byte)VnetHeader.FLAG_NEEDS_CSUM);
        frame.putByte(GSO_TYPE_OFFSET, (byte)gsoType);
        field(GSO_SIZE_OFFSET, 1448);

        assertEquals(VnetHeader.Refusal.GSO_NOT_NEGOTIATED, VnetHeader.sanitize(frame, 0, LENGTH, TSO));
    }

    @Test
    void shouldRefuseSegmentationWithoutChecksumOffloadOrWithSegmentSizeZero()
    {
        frame.putByte(GSO_TYPE_OFFSET, (byte)VnetHeader.GSO_TCPV4);
        field(GSO_SIZE_OFFSET, 1448);
        assertEquals(VnetHeader.Refusal.GSO_WITHOUT_CHECKSUM, VnetHeader.sanitize(frame, 0, LENGTH, TSO));

        frame.putByte(FLAGS_OFFSET, (byte)VnetHeader.FLAG_NEEDS_CSUM);
        field(GSO_SIZE_OFFSET, 0);
        assertEquals(VnetHeader.Refusal.GSO_SIZE_ZERO, VnetHeader.sanitize(frame, 0, LENGTH, TSO));
    }

    @Test
    void shouldClearSegmentationFieldsWithoutSegmentation()
    {
        field(HDR_LEN_OFFSET, 54);
        field(GSO_SIZE_OFFSET, 1448);

        assertNull(VnetHeader.sanitize(frame, 0, LENGTH, TSO));
        assertEquals(0, fieldValue(HDR_LEN_OFFSET));
        assertEquals(0, fieldValue(GSO_SIZE_OFFSET));
    }

    @Test
    void shouldClearNumBuffersWhichOnlyReceiveUses()
    {
        field(NUM_BUFFERS_OFFSET, 7);

        assertNull(VnetHeader.sanitize(frame, 0, LENGTH, NONE));
        assertEquals(0, fieldValue(NUM_BUFFERS_OFFSET));
    }
}
