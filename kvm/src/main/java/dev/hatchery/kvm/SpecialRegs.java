package dev.hatchery.kvm;

/**
 * {@code struct kvm_sregs}: segments, descriptor tables, control registers and EFER. Offsets pinned against this
 * machine's {@code linux/kvm.h} by NativeLayoutTest.
 */
public final class SpecialRegs extends NativeStruct
{
    static final int SIZE = 312;

    /** Segment registers in {@code struct kvm_sregs} order; each {@code struct kvm_segment} is 24 bytes. */
    public enum Segment
    {
        CS, DS, ES, FS, GS, SS, TR, LDT;

        int offset()
        {
            return ordinal() * SEGMENT_LENGTH;
        }
    }

    private static final int SEGMENT_LENGTH = 24;
    private static final int SEGMENT_BASE_OFFSET = 0;
    private static final int SEGMENT_LIMIT_OFFSET = 8;
    private static final int SEGMENT_SELECTOR_OFFSET = 12;
    private static final int SEGMENT_TYPE_OFFSET = 14;
    private static final int SEGMENT_PRESENT_OFFSET = 15;
    private static final int SEGMENT_DPL_OFFSET = 16;
    private static final int SEGMENT_DB_OFFSET = 17;
    private static final int SEGMENT_S_OFFSET = 18;
    private static final int SEGMENT_L_OFFSET = 19;
    private static final int SEGMENT_G_OFFSET = 20;
    private static final int SEGMENT_AVL_OFFSET = 21;
    private static final int SEGMENT_UNUSABLE_OFFSET = 22;

    private static final int GDT_OFFSET = 192;
    private static final int IDT_OFFSET = 208;
    private static final int DTABLE_BASE_OFFSET = 0;
    private static final int DTABLE_LIMIT_OFFSET = 8;
    private static final int CR0_OFFSET = 224;
    private static final int CR3_OFFSET = 240;
    private static final int CR4_OFFSET = 248;
    private static final int EFER_OFFSET = 264;

    public SpecialRegs()
    {
        super(SIZE);
    }

    /**
     * Sets a segment from a GDT descriptor (the 64-bit value as it sits in the table), so the hidden
     * part of the register matches what the guest would load from that descriptor.
     */
    public SpecialRegs segmentFromDescriptor(final Segment segment, final int selector, final long descriptor)
    {
        final long base = ((descriptor >>> 16) & 0xffffffL) | (((descriptor >>> 56) & 0xffL) << 24);
        final long rawLimit = (descriptor & 0xffffL) | (((descriptor >>> 48) & 0xfL) << 16);
        final boolean granularity = ((descriptor >>> 55) & 1) == 1;
        final int offset = segment.offset();
        buffer.putLong(offset + SEGMENT_BASE_OFFSET, base);
        buffer.putInt(offset + SEGMENT_LIMIT_OFFSET, (int)(granularity ? (rawLimit << 12) | 0xfff : rawLimit));
        buffer.putShort(offset + SEGMENT_SELECTOR_OFFSET, (short)selector);
        buffer.putByte(offset + SEGMENT_TYPE_OFFSET, (byte)((descriptor >>> 40) & 0xf));
        buffer.putByte(offset + SEGMENT_PRESENT_OFFSET, (byte)((descriptor >>> 47) & 1));
        buffer.putByte(offset + SEGMENT_DPL_OFFSET, (byte)((descriptor >>> 45) & 3));
        buffer.putByte(offset + SEGMENT_DB_OFFSET, (byte)((descriptor >>> 54) & 1));
        buffer.putByte(offset + SEGMENT_S_OFFSET, (byte)((descriptor >>> 44) & 1));
        buffer.putByte(offset + SEGMENT_L_OFFSET, (byte)((descriptor >>> 53) & 1));
        buffer.putByte(offset + SEGMENT_G_OFFSET, (byte)(granularity ? 1 : 0));
        buffer.putByte(offset + SEGMENT_AVL_OFFSET, (byte)((descriptor >>> 52) & 1));
        buffer.putByte(offset + SEGMENT_UNUSABLE_OFFSET, (byte)0);
        return this;
    }

    /** Real-mode style segment: base and selector only (used by small test guests). */
    public SpecialRegs segmentBase(final Segment segment, final long base, final int selector)
    {
        buffer.putLong(segment.offset() + SEGMENT_BASE_OFFSET, base);
        buffer.putShort(segment.offset() + SEGMENT_SELECTOR_OFFSET, (short)selector);
        return this;
    }

    public long segmentBase(final Segment segment)
    {
        return buffer.getLong(segment.offset() + SEGMENT_BASE_OFFSET);
    }

    public int segmentSelector(final Segment segment)
    {
        return buffer.getShort(segment.offset() + SEGMENT_SELECTOR_OFFSET) & 0xffff;
    }

    public SpecialRegs gdt(final long base, final int limit)
    {
        buffer.putLong(GDT_OFFSET + DTABLE_BASE_OFFSET, base);
        buffer.putShort(GDT_OFFSET + DTABLE_LIMIT_OFFSET, (short)limit);
        return this;
    }

    public SpecialRegs idt(final long base, final int limit)
    {
        buffer.putLong(IDT_OFFSET + DTABLE_BASE_OFFSET, base);
        buffer.putShort(IDT_OFFSET + DTABLE_LIMIT_OFFSET, (short)limit);
        return this;
    }

    public long cr0()
    {
        return buffer.getLong(CR0_OFFSET);
    }

    public SpecialRegs cr0(final long value)
    {
        buffer.putLong(CR0_OFFSET, value);
        return this;
    }

    public long cr3()
    {
        return buffer.getLong(CR3_OFFSET);
    }

    public SpecialRegs cr3(final long value)
    {
        buffer.putLong(CR3_OFFSET, value);
        return this;
    }

    public long cr4()
    {
        return buffer.getLong(CR4_OFFSET);
    }

    public SpecialRegs cr4(final long value)
    {
        buffer.putLong(CR4_OFFSET, value);
        return this;
    }

    public long efer()
    {
        return buffer.getLong(EFER_OFFSET);
    }

    public SpecialRegs efer(final long value)
    {
        buffer.putLong(EFER_OFFSET, value);
        return this;
    }
}
