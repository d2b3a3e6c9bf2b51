package dev.hatchery.devices.virtio;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import dev.hatchery.kvm.GuestMemory;

/**
 * One popped descriptor chain, as a list of guest-physical segments: the device-readable ones first,
 * then the device-writable ones. Reused from pop to pop, so the data path allocates no chain objects.
 * <p>
 * Every (address, length) was read from guest memory once and checked to lie inside guest RAM when
 * the chain was popped; copies use these saved values, never the descriptor table again, so a guest
 * that rewrites its descriptors meanwhile cannot move a copy outside its RAM.
 */
public final class DescriptorChain
{
    private final long[] addresses;
    private final int[] lengths;
    private GuestMemory memory;
    private int head = -1;
    private int segmentCount;
    private int readableCount;
    private int readableBytes;
    private int writableBytes;

    /** @param capacity the most segments a chain may have; a queue's maximum size is always enough. */
    public DescriptorChain(final int capacity)
    {
        if (capacity <= 0)
        {
            throw new IllegalArgumentException("descriptor chain capacity must be positive: capacity=" + capacity);
        }
        addresses = new long[capacity];
        lengths = new int[capacity];
    }

    public int capacity()
    {
        return addresses.length;
    }

    /** The head descriptor's index: the id to hand back with {@link Virtqueue#pushUsed(int, int)}. */
    public int head()
    {
        return head;
    }

    public int readableSegments()
    {
        return readableCount;
    }

    public int writableSegments()
    {
        return segmentCount - readableCount;
    }

    public long readableAddress(final int segment)
    {
        return addresses[checkReadable(segment)];
    }

    public int readableLength(final int segment)
    {
        return lengths[checkReadable(segment)];
    }

    public long writableAddress(final int segment)
    {
        return addresses[checkWritable(segment)];
    }

    public int writableLength(final int segment)
    {
        return lengths[checkWritable(segment)];
    }

    /** Total length of the device-readable segments. */
    public int readableBytes()
    {
        return readableBytes;
    }

    /** Total length of the device-writable segments. */
    public int writableBytes()
    {
        return writableBytes;
    }

    /**
     * Copies the readable segments, in order, into {@code dst[index, index + capacity)}.
     *
     * @return the bytes copied: {@link #readableBytes()} or capacity, whichever is smaller.
     */
    public int gather(final MutableDirectBuffer dst, final int index, final int capacity)
    {
        int copied = 0;
        for (int i = 0; i < readableCount && copied < capacity; i++)
        {
            final int length = Math.min(lengths[i], capacity - copied);
            if (length > 0)
            {
                final UnsafeBuffer segment = memory.view(addresses[i], length);
                segment.getBytes(0, dst, index + copied, length);
                copied += length;
            }
        }
        return copied;
    }

    /**
     * Copies {@code src[index, index + length)} across the writable segments, in order.
     *
     * @return the bytes copied: length or {@link #writableBytes()}, whichever is smaller.
     */
    public int scatter(final DirectBuffer src, final int index, final int length)
    {
        int copied = 0;
        for (int i = readableCount; i < segmentCount && copied < length; i++)
        {
            final int chunk = Math.min(lengths[i], length - copied);
            if (chunk > 0)
            {
                final UnsafeBuffer segment = memory.view(addresses[i], chunk);
                segment.putBytes(0, src, index + copied, chunk);
                copied += chunk;
            }
        }
        return copied;
    }

    @Override
    public String toString()
    {
        return "DescriptorChain: head=" + head + " readable_segments=" + readableCount + " readable_bytes=" + readableBytes
            + " writable_segments=" + writableSegments() + " writable_bytes=" + writableBytes;
    }

    void reset(final GuestMemory memory, final int head)
    {
        this.memory = memory;
        this.head = head;
        segmentCount = 0;
        readableCount = 0;
        readableBytes = 0;
        writableBytes = 0;
    }

    /** Caller guarantees room (segment count is bounded by capacity) and that the chain's byte total fits an int. */
    void add(final long address, final int length, final boolean writable)
    {
        addresses[segmentCount] = address;
        lengths[segmentCount] = length;
        segmentCount++;
        if (writable)
        {
            writableBytes += length;
        }
        else
        {
            readableCount++;
            readableBytes += length;
        }
    }

    /** The chain becomes empty again (a failed pop leaves nothing the device could use by mistake). */
    void clear()
    {
        reset(null, -1);
    }

    private int checkReadable(final int segment)
    {
        if (segment < 0 || segment >= readableCount)
        {
            throw new IndexOutOfBoundsException("no such readable segment: segment=" + segment + " readable_segments="
                + readableCount);
        }
        return segment;
    }

    private int checkWritable(final int segment)
    {
        if (segment < 0 || segment >= segmentCount - readableCount)
        {
            throw new IndexOutOfBoundsException("no such writable segment: segment=" + segment + " writable_segments="
                + writableSegments());
        }
        return readableCount + segment;
    }
}
