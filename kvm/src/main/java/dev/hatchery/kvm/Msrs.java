package dev.hatchery.kvm;

/** {@code struct kvm_msrs} with room for a fixed number of {@code struct kvm_msr_entry}. */
public final class Msrs extends NativeStruct
{
    // Layouts (linux/kvm.h, x86-64) pinned against this machine's headers by NativeLayoutTest.
    private static final int NMSRS_OFFSET = 0;
    private static final int HEADER_LENGTH = 8;
    private static final int ENTRY_LENGTH = 16;
    private static final int ENTRY_INDEX_OFFSET = 0;
    private static final int ENTRY_DATA_OFFSET = 8;

    private final int capacity;
    private int count;

    public Msrs(final int capacity)
    {
        super(HEADER_LENGTH + capacity * ENTRY_LENGTH);
        this.capacity = capacity;
    }

    public Msrs add(final int index, final long value)
    {
        if (count == capacity)
        {
            throw new IllegalStateException("MSR list full: capacity=" + capacity);
        }
        final int offset = HEADER_LENGTH + count * ENTRY_LENGTH;
        buffer.putInt(offset + ENTRY_INDEX_OFFSET, index);
        buffer.putLong(offset + ENTRY_DATA_OFFSET, value);
        count++;
        buffer.putInt(NMSRS_OFFSET, count);
        return this;
    }

    /** The MSR number of entry {@code entry}, e.g. the one KVM_SET_MSRS stopped at. */
    public int index(final int entry)
    {
        if (entry < 0 || entry >= count)
        {
            throw new IndexOutOfBoundsException("MSR entry out of range: entry=" + entry + " count=" + count);
        }
        return buffer.getInt(HEADER_LENGTH + entry * ENTRY_LENGTH + ENTRY_INDEX_OFFSET);
    }

    public int count()
    {
        return count;
    }

    /** The value of entry {@code entry}: what was added, or what KVM_GET_MSRS read into it. */
    public long value(final int entry)
    {
        index(entry);
        return buffer.getLong(HEADER_LENGTH + entry * ENTRY_LENGTH + ENTRY_DATA_OFFSET);
    }

    /** A copy of this list without entry {@code entry} (the one KVM rejected), the others in the same order. */
    Msrs without(final int entry)
    {
        index(entry);
        final Msrs rest = new Msrs(Math.max(1, count - 1));
        for (int i = 0; i < count; i++)
        {
            if (i != entry)
            {
                rest.add(index(i), value(i));
            }
        }
        return rest;
    }
}
