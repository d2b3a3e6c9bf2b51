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
        final ElfKernel kernel = ElfKernel.read(spec.kernel());
        kernel.checkFits(spec.memBytes());
        Cmdline.validate(spec.cmdline());
        final byte[] initrd = spec.initrd() == null ? null : readInitrd(spec.initrd());
        final BootImage image = new BootImage(kernel, initrd, spec.cmdline(), spec.memBytes());
        image.checkInitrdFits();
        return image;
    }

    private static byte[] readInitrd(final Path path)
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
