package dev.hatchery.kvm;

/** {@code struct kvm_msrs} with room for a fixed number of {@code struct kvm_msr_entry}. */
public final class Msrs extends NativeStruct
{
    private static final int HEADER_LENGTH = 8;
    private static final int ENTRY_LENGTH = 16;
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
        buffer.putInt(offset, index);
        buffer.putLong(offset + ENTRY_DATA_OFFSET, value);
        count++;
        buffer.putInt(0, count);
        return this;
    }

    public int count()
    {
        return count;
    }
}
