package dev.hatchery.kvm;

import org.agrona.concurrent.UnsafeBuffer;

/**
 * A guest's RAM: one host mapping that KVM sees as guest-physical memory starting at 0. Views are
 * Agrona buffers over a checked guest-physical range, so nothing reads or writes outside the mapping.
 */
public final class GuestMemory implements AutoCloseable
{
    private final long hostAddress;
    private final long size;
    private boolean closed;

    private GuestMemory(final long hostAddress, final long size)
    {
        this.hostAddress = hostAddress;
        this.size = size;
    }

    /** Fresh zeroed memory; pages are only backed when first touched (MAP_NORESERVE). */
    public static GuestMemory anonymous(final long size)
    {
        if (size <= 0 || (size & 0xfff) != 0)
        {
            throw new IllegalArgumentException("guest memory size must be a positive multiple of 4096: size=" + size);
        }
        final long address = Syscalls.mmap(0, size, LibC.PROT_READ | LibC.PROT_WRITE,
            LibC.MAP_PRIVATE | LibC.MAP_ANONYMOUS | LibC.MAP_NORESERVE, -1, 0);
        return new GuestMemory(address, size);
    }

    public long hostAddress()
    {
        return hostAddress;
    }

    public long size()
    {
        return size;
    }

    public boolean contains(final long guestPhysAddr, final long length)
    {
        return guestPhysAddr >= 0 && length >= 0 && guestPhysAddr <= size - length;
    }

    /** A view of {@code [guestPhysAddr, guestPhysAddr + length)}; fails if any byte lies outside guest RAM. */
    public UnsafeBuffer view(final long guestPhysAddr, final int length)
    {
        if (closed)
        {
            throw new IllegalStateException("guest memory is closed");
        }
        if (!contains(guestPhysAddr, length))
        {
            throw new IndexOutOfBoundsException("guest range outside RAM: gpa=0x" + Long.toHexString(guestPhysAddr)
                + " length=" + length + " ram_size=" + size);
        }
        return new UnsafeBuffer(hostAddress + guestPhysAddr, length);
    }

    @Override
    public void close()
    {
        if (!closed)
        {
            closed = true;
            Syscalls.munmap(hostAddress, size);
        }
    }
}
