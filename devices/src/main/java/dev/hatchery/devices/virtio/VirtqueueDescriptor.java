package dev.hatchery.devices.virtio;

/**
 * Layout of a split virtqueue in guest memory (virtio 1.x §2.7), all fields little-endian: the
 * descriptor table, the available ring the driver fills and the used ring the device fills.
 */
final class VirtqueueDescriptor
{
    /** One descriptor: addr u64, len u32, flags u16, next u16. */
    static final int DESC_ADDR_OFFSET = 0;
    static final int DESC_LEN_OFFSET = 8;
    static final int DESC_FLAGS_OFFSET = 12;
    static final int DESC_NEXT_OFFSET = 14;
    static final int DESC_LENGTH = 16;
    static final int DESC_TABLE_ALIGNMENT = 16;

    static final int DESC_F_NEXT = 1;
    static final int DESC_F_WRITE = 2;
    static final int DESC_F_INDIRECT = 4;

    /** Available ring: flags u16, idx u16, ring[size] u16, used_event u16. */
    static final int AVAIL_FLAGS_OFFSET = 0;
    static final int AVAIL_IDX_OFFSET = 2;
    static final int AVAIL_RING_OFFSET = 4;
    static final int AVAIL_ELEMENT_LENGTH = 2;
    static final int AVAIL_RING_ALIGNMENT = 2;

    static final int AVAIL_F_NO_INTERRUPT = 1;

    /** Used ring: flags u16, idx u16, ring[size] of {id u32, len u32}, avail_event u16. */
    static final int USED_FLAGS_OFFSET = 0;
    static final int USED_IDX_OFFSET = 2;
    static final int USED_RING_OFFSET = 4;
    static final int USED_ELEMENT_ID_OFFSET = 0;
    static final int USED_ELEMENT_LEN_OFFSET = 4;
    static final int USED_ELEMENT_LENGTH = 8;
    static final int USED_RING_ALIGNMENT = 4;

    /** The largest queue size the split ring format allows. */
    static final int MAX_QUEUE_SIZE = 32768;

    private VirtqueueDescriptor()
    {
    }

    static int descriptorTableLength(final int size)
    {
        return DESC_LENGTH * size;
    }

    /** Includes the trailing used_event field. */
    static int availRingLength(final int size)
    {
        return AVAIL_RING_OFFSET + AVAIL_ELEMENT_LENGTH * size + 2;
    }

    /** Includes the trailing avail_event field. */
    static int usedRingLength(final int size)
    {
        return USED_RING_OFFSET + USED_ELEMENT_LENGTH * size + 2;
    }

    static int descriptorOffset(final int index)
    {
        return DESC_LENGTH * index;
    }

    static int availElementOffset(final int slot)
    {
        return AVAIL_RING_OFFSET + AVAIL_ELEMENT_LENGTH * slot;
    }

    static int usedElementOffset(final int slot)
    {
        return USED_RING_OFFSET + USED_ELEMENT_LENGTH * slot;
    }
}
