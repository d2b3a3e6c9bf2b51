package dev.hatchery.kvm;

/** {@code struct kvm_cpuid2}: the CPUID table KVM supports, adjusted and handed to a vCPU. */
public final class Cpuid extends NativeStruct
{
    /** Enough for every leaf current KVM reports (it answers E2BIG when this is too small). */
    static final int MAX_ENTRIES = 256;
    // Layouts (linux/kvm.h, x86-64) pinned against this machine's headers by NativeLayoutTest.
    private static final int NENT_OFFSET = 0;
    private static final int HEADER_LENGTH = 8;
    private static final int ENTRY_LENGTH = 40;
    private static final int FUNCTION_OFFSET = 0;
    private static final int INDEX_OFFSET = 4;
    private static final int EAX_OFFSET = 12;
    private static final int EBX_OFFSET = 16;
    private static final int ECX_OFFSET = 20;
    private static final int EDX_OFFSET = 24;

    /** Register of a CPUID entry. */
    public enum Register
    {
        EAX(EAX_OFFSET), EBX(EBX_OFFSET), ECX(ECX_OFFSET), EDX(EDX_OFFSET);

        private final int offset;

        Register(final int offset)
        {
            this.offset = offset;
        }
    }

    Cpuid()
    {
        super(HEADER_LENGTH + MAX_ENTRIES * ENTRY_LENGTH);
        buffer.putInt(NENT_OFFSET, MAX_ENTRIES);
    }

    /** A copy, so each vCPU can adjust its own table (APIC id) without touching the shared one. */
    public Cpuid copy()
    {
        final Cpuid copy = new Cpuid();
        copy.buffer.putBytes(0, buffer, 0, buffer.capacity());
        return copy;
    }

    public int entryCount()
    {
        return buffer.getInt(NENT_OFFSET);
    }

    public int function(final int entry)
    {
        return buffer.getInt(entryOffset(entry) + FUNCTION_OFFSET);
    }

    public int index(final int entry)
    {
        return buffer.getInt(entryOffset(entry) + INDEX_OFFSET);
    }

    public int get(final int entry, final Register register)
    {
        return buffer.getInt(entryOffset(entry) + register.offset);
    }

    public Cpuid set(final int entry, final Register register, final int value)
    {
        buffer.putInt(entryOffset(entry) + register.offset, value);
        return this;
    }

    private int entryOffset(final int entry)
    {
        if (entry < 0 || entry >= entryCount())
        {
            throw new IndexOutOfBoundsException("CPUID entry out of range: entry=" + entry + " count=" + entryCount());
        }
        return HEADER_LENGTH + entry * ENTRY_LENGTH;
    }
}
