package dev.hatchery.kernel;

/**
 * Layout of the zero page, {@code struct boot_params} (Documentation/arch/x86/zero-page.rst and boot.rst):
 * the fields a 64-bit boot loader fills in, with the values Hatchery writes.
 */
final class BootParams
{
    static final int LENGTH = 4096;

    /** u8: how many entries of {@link #E820_TABLE_OFFSET} are valid. */
    static final int E820_ENTRIES_OFFSET = 0x1e8;
    /** struct setup_header, as it sits at 0x1f1 of a bzImage; the fields below are inside it. */
    static final int SETUP_HEADER_OFFSET = 0x1f1;
    /** u16 */
    static final int BOOT_FLAG_OFFSET = 0x1fe;
    /** u32 */
    static final int HEADER_OFFSET = 0x202;
    /** u8 */
    static final int TYPE_OF_LOADER_OFFSET = 0x210;
    /** u32 */
    static final int RAMDISK_IMAGE_OFFSET = 0x218;
    /** u32 */
    static final int RAMDISK_SIZE_OFFSET = 0x21c;
    /** u32 */
    static final int CMD_LINE_PTR_OFFSET = 0x228;
    /** u32 */
    static final int KERNEL_ALIGNMENT_OFFSET = 0x230;
    /** u32 */
    static final int CMDLINE_SIZE_OFFSET = 0x238;
    /** struct boot_e820_entry[E820_MAX_ENTRIES]; see {@link E820} for one entry. */
    static final int E820_TABLE_OFFSET = 0x2d0;
    static final int E820_MAX_ENTRIES = 128;

    static final short BOOT_FLAG = (short)0xaa55;
    /** "HdrS" */
    static final int HEADER_MAGIC = 0x53726448;
    /** "Undefined" loader: no boot loader ID has been assigned to Hatchery. */
    static final byte TYPE_OF_LOADER_UNDEFINED = (byte)0xff;
    /** 16 MiB, the x86-64 default physical alignment (CONFIG_PHYSICAL_ALIGN). */
    static final int KERNEL_ALIGNMENT = 0x01000000;

    private BootParams()
    {
    }
}
