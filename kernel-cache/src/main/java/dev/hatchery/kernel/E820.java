package dev.hatchery.kernel;

import static java.nio.ByteOrder.LITTLE_ENDIAN;

import org.agrona.MutableDirectBuffer;

import dev.hatchery.config.GuestPhysicalMap;

/**
 * The BIOS memory map the kernel reads from the zero page: which physical ranges are RAM. The legacy area from
 * the EBDA to 1 MiB (VGA, option ROMs, BIOS) is reserved, so the kernel keeps its allocations out of it.
 */
final class E820
{
    /** struct boot_e820_entry: u64 addr, u64 size, u32 type, packed. */
    static final int ENTRY_LENGTH = 20;
    static final int ADDR_OFFSET = 0;
    static final int SIZE_OFFSET = 8;
    static final int TYPE_OFFSET = 16;

    static final int TYPE_RAM = 1;
    static final int TYPE_RESERVED = 2;

    private E820()
    {
    }

    /**
     * Writes the map for a guest with {@code ramSize} bytes of RAM into a zero page and sets its entry count.
     * No RAM above 4 GiB: Hatchery caps guest RAM at the MMIO gap for now. Needs {@code ramSize >= 1 MiB}.
     */
    static int write(final MutableDirectBuffer zeroPage, final long ramSize)
    {
        int count = 0;
        count = put(zeroPage, count, 0, BootLayout.EBDA_START, TYPE_RAM);
        count = put(zeroPage, count, BootLayout.EBDA_START, BootLayout.HIMEM_START - BootLayout.EBDA_START, TYPE_RESERVED);
        count = put(zeroPage, count, BootLayout.HIMEM_START, GuestPhysicalMap.lowRamEnd(ramSize) - BootLayout.HIMEM_START, TYPE_RAM);
        zeroPage.putByte(BootParams.E820_ENTRIES_OFFSET, (byte)count);
        return count;
    }

    private static int put(final MutableDirectBuffer zeroPage, final int index, final long addr, final long size, final int type)
    {
        final int entry = BootParams.E820_TABLE_OFFSET + index * ENTRY_LENGTH;
        zeroPage.putLong(entry + ADDR_OFFSET, addr, LITTLE_ENDIAN);
        zeroPage.putLong(entry + SIZE_OFFSET, size, LITTLE_ENDIAN);
        zeroPage.putInt(entry + TYPE_OFFSET, type, LITTLE_ENDIAN);
        return index + 1;
    }
}
