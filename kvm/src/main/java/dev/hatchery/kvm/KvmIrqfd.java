package dev.hatchery.kvm;

/** struct kvm_irqfd (linux/kvm.h, 32 bytes): offsets pinned against this machine's header by NativeLayoutTest. */
final class KvmIrqfd extends NativeStruct
{
    static final int SIZE = 32;
    static final int FD_OFFSET = 0;
    static final int GSI_OFFSET = 4;
    static final int FLAGS_OFFSET = 8;
    static final int RESAMPLEFD_OFFSET = 12;

    static final int FLAG_DEASSIGN = 1 << 0;

    KvmIrqfd(final int fd, final int gsi, final int flags)
    {
        super(SIZE);
        buffer.putInt(FD_OFFSET, fd);
        buffer.putInt(GSI_OFFSET, gsi);
        buffer.putInt(FLAGS_OFFSET, flags);
    }
}
