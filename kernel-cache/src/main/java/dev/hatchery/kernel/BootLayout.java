package dev.hatchery.kernel;

import dev.hatchery.config.GuestPhysicalMap;

/**
 * Where things go in guest-physical memory at boot (the Linux x86-64 boot protocol): the one home for these
 * addresses, so the memory writers here and the vCPU setup elsewhere cannot disagree. Where RAM ends and the
 * device windows begin (the MMIO gap) is the whole VM's map: {@link GuestPhysicalMap}.
 */
public final class BootLayout
{
    public static final long GDT_ADDRESS = 0x500;
    public static final long IDT_ADDRESS = 0x520;
    /** struct boot_params; rsi points here at entry. */
    public static final long ZERO_PAGE_ADDRESS = 0x7000;
    /** rsp and rbp at entry. */
    public static final long BOOT_STACK_POINTER = 0x8ff0;
    /** cr3 at entry. */
    public static final long PML4_ADDRESS = 0x9000;
    public static final long PDPT_ADDRESS = 0xa000;
    /** The first of the four page directories (0xb000..0xe000) that identity-map 4 GiB. */
    public static final long PD_ADDRESS = 0xb000;
    public static final long CMDLINE_ADDRESS = 0x20000;
    /** Start of the extended BIOS data area; RAM below it is the only low-memory RAM in the e820 map. */
    public static final long EBDA_START = 0x9fc00;
    /** 1 MiB: the kernel and everything after it live at or above this address. */
    public static final long HIMEM_START = 0x100000;
    /** KVM_SET_TSS_ADDR: three pages KVM needs on Intel, just below the 4 GiB boundary. */
    public static final long TSS_ADDRESS = 0xfffbd000L;

    /** Including the terminating NUL. */
    public static final int CMDLINE_MAX_BYTES = 2048;

    public static final long GDT_NULL = 0;
    /** 64-bit code: L=1, P=1, DPL=0, type execute/read, G=1. */
    public static final long GDT_CODE = 0x00af9b000000ffffL;
    /** Data: read/write, D/B=1, G=1. */
    public static final long GDT_DATA = 0x00cf93000000ffffL;
    /** Busy 32-bit TSS descriptor; KVM needs a valid TR even though the guest loads its own later. */
    public static final long GDT_TSS = 0x008f8b000000ffffL;

    public static final int CODE_SELECTOR = 0x08;
    public static final int DATA_SELECTOR = 0x10;
    public static final int TSS_SELECTOR = 0x18;
    /** Four 8-byte descriptors, minus one. */
    public static final int GDT_LIMIT = 31;
    /** One empty 8-byte entry, minus one: the guest installs its own IDT before enabling interrupts. */
    public static final int IDT_LIMIT = 7;

    /** The smallest guest RAM the boot layout works with: the boot structures below 1 MiB plus room above it. */
    public static final long MIN_RAM_SIZE = 0x200000;

    /**
     * The pages of the boot structures that a booting guest (or the VMM, for a per-VM command line) writes first:
     * GDT and IDT, zero page, boot stack, the page tables (the CPU sets their accessed bits) and the command line.
     * One page address each, ascending.
     */
    public static final long[] FIRST_WRITTEN_PAGES = {
        0x0, ZERO_PAGE_ADDRESS, BOOT_STACK_POINTER & ~0xfffL, PML4_ADDRESS, PDPT_ADDRESS,
        PD_ADDRESS, PD_ADDRESS + 0x1000, PD_ADDRESS + 0x2000, PD_ADDRESS + 0x3000, CMDLINE_ADDRESS};

    private BootLayout()
    {
    }
}
