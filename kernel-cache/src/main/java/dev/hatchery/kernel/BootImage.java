package dev.hatchery.kernel;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import dev.hatchery.config.VmSpec;
import dev.hatchery.kvm.GuestMemory;

/**
 * A kernel prepared once for many VMs: the ELF read and validated, the initrd read, the command line
 * checked, all against one guest RAM size. {@link #writeTo} is the per-VM part: it lays the boot
 * memory out in a VM's fresh guest memory by copying from these prefetched bytes.
 */
public final class BootImage
{
    /** Largest initrd accepted: it must fit below the MMIO gap together with the kernel. */
    public static final long MAX_INITRD_BYTES = 1L << 30;

    private final ElfKernel kernel;
    private final byte[] initrd;
    private final String cmdline;
    private final long ramSize;

    private BootImage(final ElfKernel kernel, final byte[] initrd, final String cmdline, final long ramSize)
    {
        this.kernel = kernel;
        this.initrd = initrd;
        this.cmdline = cmdline;
        this.ramSize = ramSize;
    }

    /** Reads and validates everything the spec names; throws {@link KernelImageException} for bad input. */
    public static BootImage load(final VmSpec spec)
    {
        return create(ElfKernel.read(spec.kernel()), spec.initrd() == null ? null : readInitrd(spec.initrd()), spec.cmdline(), spec.memBytes());
    }

    /** Validates an already read kernel and initrd against a RAM size and command line. */
    static BootImage create(final ElfKernel kernel, final byte[] initrd, final String cmdline, final long ramSize)
    {
        kernel.checkFits(ramSize);
        Cmdline.validate(cmdline);
        final BootImage image = new BootImage(kernel, initrd, cmdline, ramSize);
        image.checkInitrdFits();
        return image;
    }

    static byte[] readInitrd(final Path path)
    {
        try
        {
            final long size = Files.size(path);
            if (size > MAX_INITRD_BYTES)
            {
                throw new KernelImageException("initrd " + path + ": too large: size=" + size + " limit=" + MAX_INITRD_BYTES
                    + "; use a smaller initramfs");
            }
            return Files.readAllBytes(path);
        }
        catch (final IOException ex)
        {
            throw new KernelImageException("initrd " + path + ": cannot read: " + ex + "; check the path and its permissions");
        }
    }

    /** Places the initrd in a scratch computation so a misfit is reported before any VM exists. */
    private void checkInitrdFits()
    {
        if (initrd != null)
        {
            Initrd.place(kernel, initrd.length, ramSize);
        }
    }

    public ElfKernel kernel()
    {
        return kernel;
    }

    public long entry()
    {
        return kernel.entry();
    }

    public String cmdline()
    {
        return cmdline;
    }

    public long ramSize()
    {
        return ramSize;
    }

    public int initrdBytes()
    {
        return initrd == null ? 0 : initrd.length;
    }

    /**
     * End of everything {@link #writeTo} writes, page aligned: the kernel (with its bss) and the initrd
     * just above it. The boot structures all lie below 1 MiB, under the kernel.
     */
    public long contentEnd()
    {
        final long end = initrd == null ? kernel.endAddress() : Initrd.place(kernel, initrd.length, ramSize) + initrd.length;
        return (end + Initrd.PAGE_SIZE - 1) & Initrd.PAGE_MASK;
    }

    /** Bytes this image keeps on the heap (kernel segments and initrd). */
    public long heapBytes()
    {
        return kernel.fileBytes() + initrdBytes();
    }

    /** Copies the kernel segments and writes the boot structures and initrd into a VM's guest memory. */
    public void writeTo(final GuestMemory memory)
    {
        if (memory.size() != ramSize)
        {
            throw new IllegalArgumentException("boot image prepared for ram_size=" + ramSize + " but guest memory has size=" + memory.size());
        }
        kernel.copyTo(memory);
        BootParamsWriter.write(memory, kernel, initrd, cmdline);
    }
}
