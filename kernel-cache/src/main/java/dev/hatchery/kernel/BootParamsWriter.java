package dev.hatchery.kernel;

import static java.nio.ByteOrder.LITTLE_ENDIAN;

import org.agrona.concurrent.UnsafeBuffer;

import dev.hatchery.kvm.GuestMemory;

/**
 * Writes everything the 64-bit boot protocol expects to find in memory at entry, except the kernel itself
 * ({@link ElfKernel#copyTo(GuestMemory)}): GDT and IDT, identity page tables, the command line, the zero page
 * and the initrd. Every input is checked before the first byte is written, so a bad input leaves memory as it was.
 */
public final class BootParamsWriter
{
    private BootParamsWriter()
    {
    }

    /**
     * @param memory       guest RAM starting at guest-physical 0; its size is the RAM size the guest sees.
     * @param kernel       the kernel that will be copied in; its end bounds where the initrd may go.
     * @param initrdOrNull initramfs bytes, or null for none.
     * @param cmdline      printable ASCII, at most {@link BootLayout#CMDLINE_MAX_BYTES} - 1 characters.
     * @return the guest-physical address of the initrd, or 0 when there is none.
     */
    public static long write(final GuestMemory memory, final ElfKernel kernel, final byte[] initrdOrNull, final String cmdline)
    {
        final long ramSize = memory.size();
        Cmdline.validate(cmdline);
        kernel.checkFits(ramSize);
        final long initrdAddress = initrdOrNull == null ? 0 : Initrd.place(kernel, initrdOrNull.length, ramSize);

        Gdt.write(memory);
        PageTables.write(memory);
        final int cmdlineSize = Cmdline.write(memory, cmdline);

        // Cleared first: the kernel reads many zero-page fields, and only zero means "not set" for the ones we skip.
        final UnsafeBuffer zeroPage = memory.view(BootLayout.ZERO_PAGE_ADDRESS, BootParams.LENGTH);
        zeroPage.setMemory(0, BootParams.LENGTH, (byte)0);
        zeroPage.putShort(BootParams.BOOT_FLAG_OFFSET, BootParams.BOOT_FLAG, LITTLE_ENDIAN);
        zeroPage.putInt(BootParams.HEADER_OFFSET, BootParams.HEADER_MAGIC, LITTLE_ENDIAN);
        zeroPage.putByte(BootParams.TYPE_OF_LOADER_OFFSET, BootParams.TYPE_OF_LOADER_UNDEFINED);
        zeroPage.putInt(BootParams.CMD_LINE_PTR_OFFSET, (int)BootLayout.CMDLINE_ADDRESS, LITTLE_ENDIAN);
        // Bytes including the NUL, as Firecracker writes it; Linux copies up to COMMAND_LINE_SIZE and stops at the NUL.
        zeroPage.putInt(BootParams.CMDLINE_SIZE_OFFSET, cmdlineSize, LITTLE_ENDIAN);
        zeroPage.putInt(BootParams.KERNEL_ALIGNMENT_OFFSET, BootParams.KERNEL_ALIGNMENT, LITTLE_ENDIAN);
        E820.write(zeroPage, ramSize);

        if (initrdOrNull != null)
        {
            Initrd.write(memory, initrdAddress, initrdOrNull);
            // Both fit in u32: low RAM ends at the MMIO gap, below 4 GiB.
            zeroPage.putInt(BootParams.RAMDISK_IMAGE_OFFSET, (int)initrdAddress, LITTLE_ENDIAN);
            zeroPage.putInt(BootParams.RAMDISK_SIZE_OFFSET, initrdOrNull.length, LITTLE_ENDIAN);
        }
        return initrdAddress;
    }
}
