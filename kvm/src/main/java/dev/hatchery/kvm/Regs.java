package dev.hatchery.kvm;

/** {@code struct kvm_regs}: the general-purpose registers, read and written with KVM_GET/SET_REGS. */
public final class Regs extends NativeStruct
{
    static final int SIZE = 144;

    /** Registers in {@code struct kvm_regs} order; the offset is the ordinal times 8. */
    public enum Reg
    {
        RAX, RBX, RCX, RDX, RSI, RDI, RSP, RBP, R8, R9, R10, R11, R12, R13, R14, R15, RIP, RFLAGS;

        int offset()
        {
            return ordinal() * Long.BYTES;
        }
    }

    public Regs()
    {
        super(SIZE);
    }

    public long get(final Reg reg)
    {
        return buffer.getLong(reg.offset());
    }

    public Regs set(final Reg reg, final long value)
    {
        buffer.putLong(reg.offset(), value);
        return this;
    }
}
