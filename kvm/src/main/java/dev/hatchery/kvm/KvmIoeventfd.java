package dev.hatchery.kvm;

/** struct kvm_ioeventfd (linux/kvm.h, 64 bytes): offsets pinned against this machine's header by NativeLayoutTest. */
final class KvmIoeventfd extends NativeStruct
{
    static final int SIZE = 64;
    static final int DATAMATCH_OFFSET = 0;
    static final int ADDR_OFFSET = 8;
    static final int LEN_OFFSET = 16;
    static final int FD_OFFSET = 20;
    static final int FLAGS_OFFSET = 24;

    static final int FLAG_DATAMATCH = 1 << 0;
    static final int FLAG_PIO = 1 << 1;
    static final int FLAG_DEASSIGN = 1 << 2;

    KvmIoeventfd(final long datamatch, final long addr, final int len, final int fd, final int flags)
    {
        super(SIZE);
        buffer.putLong(DATAMATCH_OFFSET, datamatch);
        buffer.putLong(ADDR_OFFSET, addr);
        buffer.putInt(LEN_OFFSET, len);
        buffer.putInt(FD_OFFSET, fd);
        buffer.putInt(FLAGS_OFFSET, flags);
    }
}
