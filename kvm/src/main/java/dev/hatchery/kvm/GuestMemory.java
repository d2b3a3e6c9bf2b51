package dev.hatchery.kvm;

import com.sun.jna.LastErrorException;

import org.agrona.concurrent.UnsafeBuffer;

import dev.hatchery.config.HugePages;

/**
 * A guest's RAM: one host mapping that KVM sees as guest-physical memory starting at 0. Views are
 * Agrona buffers over a checked guest-physical range, so nothing reads or writes outside the mapping.
 */
public final class GuestMemory implements AutoCloseable
{
    private static final int MAP_HUGETLB = 0x40000;
    private static final int MADV_HUGEPAGE = 14;
    private static final int MADV_DONTNEED = 4;

    private final long hostAddress;
    private final long size;
    /** Views may only reach below this; equals size except for a template being written. */
    private final long accessibleSize;
    private final boolean ownsMapping;
    private boolean closed;

    private GuestMemory(final long hostAddress, final long size, final long accessibleSize, final boolean ownsMapping)
    {
        this.hostAddress = hostAddress;
        this.size = size;
        this.accessibleSize = accessibleSize;
        this.ownsMapping = ownsMapping;
    }

    /** Fresh zeroed memory with 4 KiB pages; pages are only backed when first touched (MAP_NORESERVE). */
    public static GuestMemory anonymous(final long size)
    {
        return anonymous(size, HugePages.OFF);
    }

    /** Fresh zeroed memory backed as {@code hugePages} asks (check availability first with {@link HostHugePages#checkAvailable}). */
    public static GuestMemory anonymous(final long size, final HugePages hugePages)
    {
        final long alignment = hugePages == HugePages.HUGETLBFS ? HugePages.HUGE_PAGE_SIZE : 0x1000;
        if (size <= 0 || size % alignment != 0)
        {
            throw new IllegalArgumentException("guest memory size must be a positive multiple of " + alignment + ": size=" + size);
        }
        final int flags = LibC.MAP_PRIVATE | LibC.MAP_ANONYMOUS | LibC.MAP_NORESERVE | (hugePages == HugePages.HUGETLBFS ? MAP_HUGETLB : 0);
        final long address = Syscalls.mmap(0, size, LibC.PROT_READ | LibC.PROT_WRITE, flags, -1, 0);
        final GuestMemory memory = new GuestMemory(address, size, size, true);
        if (hugePages == HugePages.TRANSPARENT)
        {
            memory.adviseHugePages();
        }
        return memory;
    }

    /** Takes ownership of an existing mapping (used while writing a template through a shared mapping). */
    static GuestMemory wrap(final long address, final long size)
    {
        return new GuestMemory(address, size, size, true);
    }

    /** A view that still reports the full RAM size but only lets writers reach below {@code accessible}. */
    GuestMemory limitedTo(final long accessible)
    {
        return new GuestMemory(hostAddress, size, accessible, false);
    }

    private void adviseHugePages()
    {
        try
        {
            LibC.madvise(hostAddress, size, MADV_HUGEPAGE);
        }
        catch (final LastErrorException ex)
        {
            close();
            throw new NativeCallException("madvise(MADV_HUGEPAGE)", "size=" + size, ex.getErrorCode());
        }
    }

    /**
     * Replaces the start of this memory with a private (copy-on-write) mapping of the template: the
     * guest sees the template's bytes and its writes stay its own. One mmap call, whatever the kernel's size.
     */
    public void mapTemplate(final MemoryTemplate template)
    {
        if (template.size() > size)
        {
            throw new IllegalArgumentException("template larger than guest memory: template_size=" + template.size() + " ram_size=" + size);
        }
        Syscalls.mmap(hostAddress, template.size(), LibC.PROT_READ | LibC.PROT_WRITE, LibC.MAP_PRIVATE | LibC.MAP_FIXED, template.fd(), 0);
    }

    /**
     * Replaces the whole RAM with fresh anonymous memory, at the same address (MAP_FIXED): undoes a {@link #mapTemplate}
     * that covered more than a kernel's template (a clone's memory), so the RAM can take a kernel again. A KVM memory slot
     * over it stays valid, as with {@link #discard}. Only for 4 KiB-page memory.
     */
    public void replaceWithAnonymous()
    {
        if (closed)
        {
            throw new IllegalStateException("guest memory is closed");
        }
        Syscalls.mmap(hostAddress, size, LibC.PROT_READ | LibC.PROT_WRITE, LibC.MAP_PRIVATE | LibC.MAP_ANONYMOUS | LibC.MAP_NORESERVE
            | LibC.MAP_FIXED, -1, 0);
    }

    /**
     * Drops every page the guest made its own (MADV_DONTNEED over the whole RAM), giving the memory back to the
     * host: anonymous RAM reads as zeros again and a template mapping ({@link #mapTemplate}) as the template's bytes,
     * since a private file mapping refills from its file. The mapping itself stays, so a KVM memory slot over it stays
     * valid (KVM drops its own view of the pages through its MMU notifier). Costs what unmapping would, without
     * mapping and registering again.
     */
    public void discard()
    {
        if (closed)
        {
            throw new IllegalStateException("guest memory is closed");
        }
        try
        {
            LibC.madvise(hostAddress, size, MADV_DONTNEED);
        }
        catch (final LastErrorException ex)
        {
            throw new NativeCallException("madvise(MADV_DONTNEED)", "size=" + size, ex.getErrorCode());
        }
    }

    public long hostAddress()
    {
        return hostAddress;
    }

    /** The guest's RAM size in bytes. */
    public long size()
    {
        return size;
    }

    public boolean contains(final long guestPhysAddr, final long length)
    {
        return guestPhysAddr >= 0 && length >= 0 && guestPhysAddr <= accessibleSize - length;
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
                + " length=" + length + " ram_size=" + size + (accessibleSize != size ? " writable_size=" + accessibleSize : ""));
        }
        return new UnsafeBuffer(hostAddress + guestPhysAddr, length);
    }

    @Override
    public void close()
    {
        if (!closed)
        {
            closed = true;
            if (ownsMapping)
            {
                Syscalls.munmap(hostAddress, size);
            }
        }
    }
}
