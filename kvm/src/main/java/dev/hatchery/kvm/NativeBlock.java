package dev.hatchery.kvm;

/**
 * A kernel struct kept as opaque bytes: read with one KVM_GET_* ioctl and written back, unchanged, with the matching
 * KVM_SET_*. Hatchery never looks inside (a captured state is only ever restored whole), so only its size is
 * pinned against the headers (NativeLayoutTest).
 */
final class NativeBlock extends NativeStruct
{
    private final String name;
    private final long getRequest;
    private final long setRequest;

    NativeBlock(final String name, final int size, final long getRequest, final long setRequest)
    {
        super(size);
        this.name = name;
        this.getRequest = getRequest;
        this.setRequest = setRequest;
    }

    /** For a struct whose first u32 selects what is read (kvm_irqchip's chip_id): set before {@link #get}. */
    NativeBlock selector(final int value)
    {
        buffer.putInt(0, value);
        return this;
    }

    /** Overwrites the u32 at {@code offset} (after {@link #get}, before the block is shared: restores only read it). */
    NativeBlock putInt(final int offset, final int value)
    {
        buffer.putInt(offset, value);
        return this;
    }

    void get(final int fd, final Object... facts)
    {
        Syscalls.ioctl(fd, getRequest, address(), "KVM_GET_" + name, facts);
    }

    /** Only reads this block: one captured state may be restored by several threads at once. */
    void set(final int fd, final Object... facts)
    {
        Syscalls.ioctl(fd, setRequest, address(), "KVM_SET_" + name, facts);
    }
}
