package dev.hatchery.kernel;

import static dev.hatchery.kernel.Hex.hex;

import dev.hatchery.kvm.GuestMemory;

/**
 * Where the initrd goes: as high in low RAM as it fits, page aligned, like other loaders do, so it stays
 * clear of the kernel and of the memory the kernel allocates upwards from its end while it unpacks it.
 */
final class Initrd
{
    static final long PAGE_SIZE = 0x1000;
    static final long PAGE_MASK = ~(PAGE_SIZE - 1);

    private Initrd()
    {
    }

    /** The guest-physical address for an initrd of {@code size} bytes; it must start at or above the kernel's end. */
    static long place(final ElfKernel kernel, final long size, final long ramSize)
    {
        final long kernelEnd = kernel.endAddress();
        if (size == 0)
        {
            throw new KernelImageException("initrd is empty: initrd_size=0; pass a non-empty initramfs (cpio archive) or no initrd");
        }
        final long lowRamEnd = BootLayout.lowRamEnd(ramSize);
        final long lowest = (kernelEnd + PAGE_SIZE - 1) & PAGE_MASK;
        final long address = (lowRamEnd - size) & PAGE_MASK;
        if (size > lowRamEnd || address < lowest)
        {
            throw new KernelImageException("initrd does not fit: initrd_size=" + size + " kernel_end=" + hex(kernelEnd)
                + " low_ram_end=" + hex(lowRamEnd) + "; give the VM more memory (--mem-mib)");
        }
        return address;
    }

    static void write(final GuestMemory memory, final long address, final byte[] initrd)
    {
        memory.view(address, initrd.length).putBytes(0, initrd);
    }
}
