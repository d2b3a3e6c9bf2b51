package dev.hatchery.kernel;

import static dev.hatchery.kernel.Hex.hex;

import dev.hatchery.config.GuestPhysicalMap;
import dev.hatchery.kvm.GuestMemory;

/**
 * Where the initrd goes: on the first page after the kernel's end (bss included). Loaders of compressed
 * kernels put it at the top of RAM to stay clear of the decompressor; an uncompressed vmlinux needs no
 * such room, and keeping everything the guest sees at entry low and contiguous keeps the copy-on-write
 * memory template small: its size no longer grows with the guest's RAM.
 */
final class Initrd
{
    static final long PAGE_SIZE = 0x1000;
    static final long PAGE_MASK = ~(PAGE_SIZE - 1);

    private Initrd()
    {
    }

    /** The guest-physical address for an initrd of {@code size} bytes: the first page boundary at or after the kernel's end. */
    static long place(final ElfKernel kernel, final long size, final long ramSize)
    {
        final long kernelEnd = kernel.endAddress();
        if (size == 0)
        {
            throw new KernelImageException("initrd is empty: initrd_size=0; pass a non-empty initramfs (cpio archive) or no initrd");
        }
        final long lowRamEnd = GuestPhysicalMap.lowRamEnd(ramSize);
        final long lowest = (kernelEnd + PAGE_SIZE - 1) & PAGE_MASK;
        final long address = lowest;
        if (size > lowRamEnd - lowest)
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
