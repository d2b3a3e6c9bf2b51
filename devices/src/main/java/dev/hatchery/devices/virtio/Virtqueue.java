package dev.hatchery.devices.virtio;

import static dev.hatchery.devices.virtio.VirtqueueDescriptor.AVAIL_FLAGS_OFFSET;
import static dev.hatchery.devices.virtio.VirtqueueDescriptor.AVAIL_F_NO_INTERRUPT;
import static dev.hatchery.devices.virtio.VirtqueueDescriptor.AVAIL_IDX_OFFSET;
import static dev.hatchery.devices.virtio.VirtqueueDescriptor.AVAIL_RING_ALIGNMENT;
import static dev.hatchery.devices.virtio.VirtqueueDescriptor.DESC_ADDR_OFFSET;
import static dev.hatchery.devices.virtio.VirtqueueDescriptor.DESC_FLAGS_OFFSET;
import static dev.hatchery.devices.virtio.VirtqueueDescriptor.DESC_F_INDIRECT;
import static dev.hatchery.devices.virtio.VirtqueueDescriptor.DESC_F_NEXT;
import static dev.hatchery.devices.virtio.VirtqueueDescriptor.DESC_F_WRITE;
import static dev.hatchery.devices.virtio.VirtqueueDescriptor.DESC_LEN_OFFSET;
import static dev.hatchery.devices.virtio.VirtqueueDescriptor.DESC_NEXT_OFFSET;
import static dev.hatchery.devices.virtio.VirtqueueDescriptor.DESC_TABLE_ALIGNMENT;
import static dev.hatchery.devices.virtio.VirtqueueDescriptor.USED_ELEMENT_ID_OFFSET;
import static dev.hatchery.devices.virtio.VirtqueueDescriptor.USED_ELEMENT_LEN_OFFSET;
import static dev.hatchery.devices.virtio.VirtqueueDescriptor.USED_IDX_OFFSET;
import static dev.hatchery.devices.virtio.VirtqueueDescriptor.USED_RING_ALIGNMENT;

import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.Objects;

import org.agrona.concurrent.UnsafeBuffer;

import dev.hatchery.kvm.GuestMemory;

/**
 * The device side of one split virtqueue (virtio 1.x §2.7) in guest memory.
 * <p>
 * The queue registers (size, ring addresses) are written by the driver through the transport; when it
 * sets QueueReady they are checked (size a power of 2 no larger than the maximum, rings aligned and
 * wholly inside guest RAM). Popping a chain checks every descriptor (index below the queue size, no
 * INDIRECT, segment inside guest RAM without overflow, readable before writable, at most queue-size
 * descriptors so a loop ends, at most {@link #MAX_CHAIN_BYTES} in total) and that the available index
 * did not run more than a queue's worth ahead. Any violation halts the queue and reports it to the
 * transport, which marks the device as needing a reset; a halted queue pops nothing and writes nothing.
 * <p>
 * Not thread-safe on its own: the transport serialises every call on the device's monitor.
 */
public final class Virtqueue
{
    /** The most bytes one chain may describe: a bound on copies however large guest RAM is. */
    public static final int MAX_CHAIN_BYTES = 64 << 20;

    private static final int INDEX_MASK = 0xffff;

    private final int index;
    private final int maxSize;
    private final GuestMemory memory;
    private final Owner owner;

    private int size;
    private long descriptorTableAddress;
    private long availRingAddress;
    private long usedRingAddress;
    private boolean ready;
    private boolean halted;
    private String failureReason;

    private UnsafeBuffer descriptorTable;
    private UnsafeBuffer availRing;
    private UnsafeBuffer usedRing;
    private int lastAvailIdx;
    private int nextUsedIdx;
    private boolean interruptPending;

    /** What a queue reports to its transport. */
    interface Owner
    {
        void queueFailed(Virtqueue queue, String reason);

        void usedBuffersAvailable(Virtqueue queue);
    }

    Virtqueue(final int index, final int maxSize, final GuestMemory memory, final Owner owner)
    {
        if (maxSize < 0 || maxSize > VirtqueueDescriptor.MAX_QUEUE_SIZE || (maxSize & (maxSize - 1)) != 0)
        {
            throw new IllegalArgumentException("queue maximum size must be 0 or a power of 2 up to 32768: queue=" + index
                + " max_size=" + maxSize);
        }
        this.index = index;
        this.maxSize = maxSize;
        this.memory = Objects.requireNonNull(memory, "memory");
        this.owner = Objects.requireNonNull(owner, "owner");
    }

    public int index()
    {
        return index;
    }

    public int maxSize()
    {
        return maxSize;
    }

    /** The size the driver chose (QueueNum); meaningful once {@link #isReady()}. */
    public int size()
    {
        return size;
    }

    public boolean isReady()
    {
        return ready;
    }

    /** True after a violation (or when the driver gave up): the queue does nothing until reset. */
    public boolean isHalted()
    {
        return halted;
    }

    /** Why the queue halted on a guest error, or null. */
    public String failureReason()
    {
        return failureReason;
    }

    /** Whether the driver has made chains available that were not popped yet. */
    public boolean hasAvailable()
    {
        return isUsable() && availIdx() != lastAvailIdx;
    }

    /**
     * Takes the next available chain into {@code chain}.
     *
     * @return false when there is none, or when it broke a rule (the queue is then halted and the
     * device needs a reset); chain is then empty.
     */
    public boolean pop(final DescriptorChain chain)
    {
        chain.clear();
        if (!isUsable())
        {
            return false;
        }
        // Acquire: the driver writes the ring entry and descriptors, then (after a write barrier) the
        // index; reading the index first and everything else after it sees what the index published.
        final int availIdx = availIdx();
        final int pending = (availIdx - lastAvailIdx) & INDEX_MASK;
        if (pending == 0)
        {
            return false;
        }
        if (pending > size)
        {
            fail("available index ran ahead: queue=" + index + " avail_idx=" + availIdx + " last_avail_idx="
                + lastAvailIdx + " size=" + size);
            return false;
        }
        final int slot = lastAvailIdx & (size - 1);
        final int head = availRing.getShort(VirtqueueDescriptor.availElementOffset(slot), ByteOrder.LITTLE_ENDIAN)
            & INDEX_MASK;
        if (!walk(head, chain))
        {
            chain.clear();
            return false;
        }
        lastAvailIdx = (lastAvailIdx + 1) & INDEX_MASK;
        return true;
    }

    /**
     * Returns a chain to the driver: writes the used element, then publishes the used index. Call
     * {@link #interruptIfNeeded()} after a batch.
     *
     * @param head          the popped chain's {@link DescriptorChain#head()}.
     * @param writtenLength bytes the device wrote into the chain's writable segments.
     */
    public void pushUsed(final int head, final int writtenLength)
    {
        if (!isUsable())
        {
            return;
        }
        final int element = VirtqueueDescriptor.usedElementOffset(nextUsedIdx & (size - 1));
        usedRing.putInt(element + USED_ELEMENT_ID_OFFSET, head, ByteOrder.LITTLE_ENDIAN);
        usedRing.putInt(element + USED_ELEMENT_LEN_OFFSET, writtenLength, ByteOrder.LITTLE_ENDIAN);
        nextUsedIdx = (nextUsedIdx + 1) & INDEX_MASK;
        // Release: the driver reads the used index, then the elements below it. The element must be
        // visible before the index that covers it, or the driver could take a stale id or length.
        VarHandle.releaseFence();
        usedRing.putShort(USED_IDX_OFFSET, (short)nextUsedIdx, ByteOrder.LITTLE_ENDIAN);
        interruptPending = true;
    }

    /**
     * Raises the used-buffer interrupt if chains were pushed since the last one and the driver did not
     * set VIRTQ_AVAIL_F_NO_INTERRUPT.
     */
    public void interruptIfNeeded()
    {
        if (!interruptPending || !isUsable())
        {
            return;
        }
        interruptPending = false;
        // Store-load: the used index store must be visible before the flags are read, or the driver
        // could re-enable interrupts after seeing an old index and then wait for one never sent.
        VarHandle.fullFence();
        final int flags = availRing.getShortVolatile(AVAIL_FLAGS_OFFSET) & INDEX_MASK;
        if ((flags & AVAIL_F_NO_INTERRUPT) == 0)
        {
            owner.usedBuffersAvailable(this);
        }
    }

    @Override
    public String toString()
    {
        // Only the device's own fields: a string may be made after the guest's memory is gone.
        return "Virtqueue: queue=" + index + " size=" + size + " ready=" + ready + " halted=" + halted
            + " last_avail_idx=" + lastAvailIdx + " used_idx=" + nextUsedIdx + " interrupt_pending=" + interruptPending;
    }

    /**
     * {@link #toString()} plus what the driver last published (avail idx and flags, read from guest memory): where the
     * two sides stand. Reads guest memory: only while it is mapped, i.e. by whoever keeps the VM from being released.
     */
    public String describeBothSides()
    {
        return this + (isUsable() ? " driver_avail_idx=" + availIdx() + " driver_avail_flags="
            + (availRing.getShortVolatile(AVAIL_FLAGS_OFFSET) & INDEX_MASK) : "");
    }

    // Registers, written by the transport while the queue is not ready.

    void size(final int size)
    {
        this.size = size;
    }

    long descriptorTableAddress()
    {
        return descriptorTableAddress;
    }

    void descriptorTableAddress(final long address)
    {
        descriptorTableAddress = address;
    }

    long availRingAddress()
    {
        return availRingAddress;
    }

    void availRingAddress(final long address)
    {
        availRingAddress = address;
    }

    long usedRingAddress()
    {
        return usedRingAddress;
    }

    void usedRingAddress(final long address)
    {
        usedRingAddress = address;
    }

    /**
     * Everything the device side of a queue holds: the driver's registers and how far the device got in the rings.
     * The rings themselves live in guest memory; a queue restored over a copy of that memory carries on where the
     * captured one stood.
     */
    public record State(int size, long descriptorTableAddress, long availRingAddress, long usedRingAddress, boolean ready,
        boolean halted, String failureReason, int lastAvailIdx, int nextUsedIdx, boolean interruptPending)
    {
    }

    State state()
    {
        return new State(size, descriptorTableAddress, availRingAddress, usedRingAddress, ready, halted, failureReason, lastAvailIdx,
            nextUsedIdx, interruptPending);
    }

    /** Takes over {@code state} (of a queue of the same device kind); a ready queue maps its rings in this queue's memory. */
    void restore(final State state)
    {
        reset();
        size = state.size();
        descriptorTableAddress = state.descriptorTableAddress();
        availRingAddress = state.availRingAddress();
        usedRingAddress = state.usedRingAddress();
        halted = state.halted();
        failureReason = state.failureReason();
        if (state.ready() && enable())
        {
            lastAvailIdx = state.lastAvailIdx();
            nextUsedIdx = state.nextUsedIdx();
            interruptPending = state.interruptPending();
        }
    }

    /** QueueReady = 1: checks the registers and maps the rings; false (queue halted) if they are unusable. */
    boolean enable()
    {
        final String problem = checkLayout();
        if (problem != null)
        {
            fail(problem);
            return false;
        }
        descriptorTable = memory.view(descriptorTableAddress, VirtqueueDescriptor.descriptorTableLength(size));
        availRing = memory.view(availRingAddress, VirtqueueDescriptor.availRingLength(size));
        usedRing = memory.view(usedRingAddress, VirtqueueDescriptor.usedRingLength(size));
        lastAvailIdx = 0;
        nextUsedIdx = 0;
        interruptPending = false;
        ready = true;
        return true;
    }

    /** QueueReady = 0: the driver takes the queue back; registers stay as written. */
    void disable()
    {
        ready = false;
        descriptorTable = null;
        availRing = null;
        usedRing = null;
    }

    /** Stops all processing until {@link #reset()}, e.g. when another queue of the device failed. */
    void halt()
    {
        halted = true;
    }

    void reset()
    {
        disable();
        size = 0;
        descriptorTableAddress = 0;
        availRingAddress = 0;
        usedRingAddress = 0;
        halted = false;
        failureReason = null;
        lastAvailIdx = 0;
        nextUsedIdx = 0;
        interruptPending = false;
    }

    private boolean isUsable()
    {
        return ready && !halted;
    }

    private int availIdx()
    {
        return availRing.getShortVolatile(AVAIL_IDX_OFFSET) & INDEX_MASK;
    }

    private String checkLayout()
    {
        if (size == 0)
        {
            return "queue size not set: queue=" + index;
        }
        if (Integer.compareUnsigned(size, maxSize) > 0)
        {
            return "queue size exceeds maximum: queue=" + index + " size=" + Integer.toUnsignedString(size)
                + " max_size=" + maxSize;
        }
        if ((size & (size - 1)) != 0)
        {
            return "queue size not a power of 2: queue=" + index + " size=" + size;
        }
        final String descriptors = checkArea("descriptor table", descriptorTableAddress, DESC_TABLE_ALIGNMENT,
            VirtqueueDescriptor.descriptorTableLength(size));
        if (descriptors != null)
        {
            return descriptors;
        }
        final String avail = checkArea("available ring", availRingAddress, AVAIL_RING_ALIGNMENT,
            VirtqueueDescriptor.availRingLength(size));
        if (avail != null)
        {
            return avail;
        }
        return checkArea("used ring", usedRingAddress, USED_RING_ALIGNMENT, VirtqueueDescriptor.usedRingLength(size));
    }

    private String checkArea(final String what, final long address, final int alignment, final int length)
    {
        if ((address & (alignment - 1)) != 0)
        {
            return what + " misaligned: queue=" + index + " addr=" + hex(address) + " alignment=" + alignment;
        }
        if (!memory.contains(address, length))
        {
            return what + " outside guest memory: queue=" + index + " addr=" + hex(address) + " length=" + length
                + " ram_size=" + memory.size();
        }
        return null;
    }

    /** Reads each descriptor once into the chain, checking it; false (queue halted) on the first violation. */
    private boolean walk(final int head, final DescriptorChain chain)
    {
        chain.reset(memory, head);
        long totalBytes = 0;
        boolean seenWritable = false;
        int next = head;
        for (int count = 1; ; count++)
        {
            if (next >= size)
            {
                fail("descriptor index out of range: queue=" + index + " head=" + head + " index=" + next + " size="
                    + size);
                return false;
            }
            if (count > size)
            {
                fail("descriptor chain longer than queue size: queue=" + index + " head=" + head + " size=" + size);
                return false;
            }
            if (count > chain.capacity())
            {
                fail("descriptor chain longer than device limit: queue=" + index + " head=" + head + " limit="
                    + chain.capacity());
                return false;
            }
            final int offset = VirtqueueDescriptor.descriptorOffset(next);
            final long address = descriptorTable.getLong(offset + DESC_ADDR_OFFSET, ByteOrder.LITTLE_ENDIAN);
            final long length = descriptorTable.getInt(offset + DESC_LEN_OFFSET, ByteOrder.LITTLE_ENDIAN) & 0xffff_ffffL;
            final int flags = descriptorTable.getShort(offset + DESC_FLAGS_OFFSET, ByteOrder.LITTLE_ENDIAN) & INDEX_MASK;
            if ((flags & DESC_F_INDIRECT) != 0)
            {
                fail("indirect descriptor not negotiated: queue=" + index + " head=" + head + " index=" + next);
                return false;
            }
            // contains() compares against ram_size - length, so a huge address or length cannot wrap around.
            if (!memory.contains(address, length))
            {
                fail("descriptor outside guest memory: queue=" + index + " head=" + head + " index=" + next + " addr="
                    + hex(address) + " length=" + length + " ram_size=" + memory.size());
                return false;
            }
            totalBytes += length;
            if (totalBytes > MAX_CHAIN_BYTES)
            {
                fail("descriptor chain too large: queue=" + index + " head=" + head + " bytes=" + totalBytes + " limit="
                    + MAX_CHAIN_BYTES);
                return false;
            }
            final boolean writable = (flags & DESC_F_WRITE) != 0;
            if (seenWritable && !writable)
            {
                fail("readable descriptor after writable: queue=" + index + " head=" + head + " index=" + next);
                return false;
            }
            seenWritable |= writable;
            chain.add(address, (int)length, writable);
            if ((flags & DESC_F_NEXT) == 0)
            {
                return true;
            }
            next = descriptorTable.getShort(offset + DESC_NEXT_OFFSET, ByteOrder.LITTLE_ENDIAN) & INDEX_MASK;
        }
    }

    private void fail(final String reason)
    {
        halted = true;
        if (failureReason == null)
        {
            failureReason = reason;
        }
        owner.queueFailed(this, reason);
    }

    static String hex(final long value)
    {
        return "0x" + Long.toHexString(value);
    }
}
