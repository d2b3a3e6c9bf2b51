package dev.hatchery.kvm;

/** {@code struct kvm_lapic_state}: the local APIC's 1 KiB register page. */
public final class Lapic extends NativeStruct
{
    static final int SIZE = 1024;

    public Lapic()
    {
        super(SIZE);
    }

    public int register(final int offset)
    {
        return buffer.getInt(offset);
    }

    public Lapic register(final int offset, final int value)
    {
        buffer.putInt(offset, value);
        return this;
    }
}
