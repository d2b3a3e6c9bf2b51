package dev.hatchery.kvm;

/** {@code struct kvm_fpu}: only the control words a booting guest needs are exposed. */
public final class Fpu extends NativeStruct
{
    static final int SIZE = 416;
    private static final int FCW_OFFSET = 128;
    private static final int MXCSR_OFFSET = 408;

    public Fpu()
    {
        super(SIZE);
    }

    public Fpu fcw(final int value)
    {
        buffer.putShort(FCW_OFFSET, (short)value);
        return this;
    }

    public Fpu mxcsr(final int value)
    {
        buffer.putInt(MXCSR_OFFSET, value);
        return this;
    }
}
