package dev.hatchery.kvm;

import org.agrona.concurrent.UnsafeBuffer;

/**
 * {@code struct kvm_run}, the page a vCPU shares with KVM: why KVM_RUN returned and the data of the
 * access that caused it. Offsets pinned against this machine's {@code linux/kvm.h} by NativeLayoutTest.
 */
public final class KvmRun
{
    private static final int IMMEDIATE_EXIT_OFFSET = 1;
    private static final int EXIT_REASON_OFFSET = 8;
    private static final int EXIT_UNION_OFFSET = 32;

    private static final int IO_DIRECTION_OFFSET = EXIT_UNION_OFFSET;
    private static final int IO_SIZE_OFFSET = EXIT_UNION_OFFSET + 1;
    private static final int IO_PORT_OFFSET = EXIT_UNION_OFFSET + 2;
    private static final int IO_COUNT_OFFSET = EXIT_UNION_OFFSET + 4;
    private static final int IO_DATA_OFFSET_OFFSET = EXIT_UNION_OFFSET + 8;

    private static final int MMIO_PHYS_ADDR_OFFSET = EXIT_UNION_OFFSET;
    private static final int MMIO_DATA_OFFSET = EXIT_UNION_OFFSET + 8;
    private static final int MMIO_LEN_OFFSET = EXIT_UNION_OFFSET + 16;
    private static final int MMIO_IS_WRITE_OFFSET = EXIT_UNION_OFFSET + 20;

    /** internal: suberror, then ndata, then up to INTERNAL_ERROR_MAX_DATA u64 words. */
    private static final int INTERNAL_SUBERROR_OFFSET = EXIT_UNION_OFFSET;
    private static final int INTERNAL_NDATA_OFFSET = EXIT_UNION_OFFSET + 4;
    private static final int INTERNAL_DATA_OFFSET = EXIT_UNION_OFFSET + 8;

    private static final int IO_DIRECTION_OUT = 1;
    private static final int INTERNAL_ERROR_MAX_DATA = 16;

    private final UnsafeBuffer buffer;

    KvmRun(final long address, final int length)
    {
        buffer = new UnsafeBuffer(address, length);
    }

    public int exitReason()
    {
        return buffer.getInt(EXIT_REASON_OFFSET);
    }

    /** Makes the next (or a racing) KVM_RUN return EINTR at once: the other half of a vCPU kick. */
    public void immediateExit(final boolean value)
    {
        buffer.putByteVolatile(IMMEDIATE_EXIT_OFFSET, (byte)(value ? 1 : 0));
    }

    public boolean ioIsWrite()
    {
        return buffer.getByte(IO_DIRECTION_OFFSET) == IO_DIRECTION_OUT;
    }

    public int ioSize()
    {
        return buffer.getByte(IO_SIZE_OFFSET);
    }

    public int ioPort()
    {
        return buffer.getShort(IO_PORT_OFFSET) & 0xffff;
    }

    public int ioCount()
    {
        return buffer.getInt(IO_COUNT_OFFSET);
    }

    /** Offset inside this page where the I/O data lives (KVM chooses it; usually 4096). */
    public int ioDataOffset()
    {
        return (int)buffer.getLong(IO_DATA_OFFSET_OFFSET);
    }

    public long mmioAddress()
    {
        return buffer.getLong(MMIO_PHYS_ADDR_OFFSET);
    }

    public int mmioLength()
    {
        return buffer.getInt(MMIO_LEN_OFFSET);
    }

    public boolean mmioIsWrite()
    {
        return buffer.getByte(MMIO_IS_WRITE_OFFSET) != 0;
    }

    /** Offset of the 8-byte MMIO data field, for reading a write or filling in a read. */
    public int mmioDataOffset()
    {
        return MMIO_DATA_OFFSET;
    }

    /**
     * Hardware reason of KVM_EXIT_FAIL_ENTRY, or the suberror of KVM_EXIT_INTERNAL_ERROR, or the event type (low
     * 32 bits) of KVM_EXIT_SYSTEM_EVENT: each is the first field of the exit union.
     */
    public long exitDetail()
    {
        return buffer.getLong(EXIT_UNION_OFFSET);
    }

    /**
     * Describes a KVM_EXIT_INTERNAL_ERROR: suberror and the extra words KVM supplies (for emulation
     * failures they include the instruction bytes), e.g. {@code suberror=1 data=[0x...]}.
     */
    public String internalError()
    {
        final int ndata = Math.min(buffer.getInt(INTERNAL_NDATA_OFFSET), INTERNAL_ERROR_MAX_DATA);
        final StringBuilder sb = new StringBuilder("suberror=").append(buffer.getInt(INTERNAL_SUBERROR_OFFSET)).append(" data=[");
        for (int i = 0; i < ndata; i++)
        {
            sb.append(i == 0 ? "" : " ").append("0x").append(Long.toHexString(buffer.getLong(INTERNAL_DATA_OFFSET + i * Long.BYTES)));
        }
        return sb.append(']').toString();
    }

    /** The whole page, for device code that reads or writes the data of an exit in place. */
    public UnsafeBuffer buffer()
    {
        return buffer;
    }
}
