package dev.hatchery.kernel;

import static java.nio.ByteOrder.LITTLE_ENDIAN;

import org.agrona.concurrent.UnsafeBuffer;

import dev.hatchery.kvm.GuestMemory;

/**
 * Identity page tables for the first 4 GiB with 2 MiB pages: PML4 -> one PDPT -> four page directories.
 * Linux only needs the first 1 GiB until it builds its own tables; mapping all 4 GiB lets a guest without
 * page tables of its own reach the MMIO gap (the boot-complete device at 0xd0000000).
 */
final class PageTables
{
    static final int ENTRY_LENGTH = 8;
    static final int TABLE_LENGTH = 4096;
    static final int ENTRIES_PER_TABLE = TABLE_LENGTH / ENTRY_LENGTH;
    static final int PD_COUNT = 4;
    static final long PAGE_SIZE_2M = 0x200000;

    static final long PRESENT = 0x1;
    static final long WRITABLE = 0x2;
    /** PS: the PD entry maps a 2 MiB page instead of pointing to a page table. */
    static final long LARGE_PAGE = 0x80;

    private PageTables()
    {
    }

    static void write(final GuestMemory memory)
    {
        // Whole tables are written, unused entries as zero, so stale memory can never add a mapping.
        final UnsafeBuffer pml4 = memory.view(BootLayout.PML4_ADDRESS, TABLE_LENGTH);
        pml4.setMemory(0, TABLE_LENGTH, (byte)0);
        pml4.putLong(0, BootLayout.PDPT_ADDRESS | PRESENT | WRITABLE, LITTLE_ENDIAN);

        final UnsafeBuffer pdpt = memory.view(BootLayout.PDPT_ADDRESS, TABLE_LENGTH);
        pdpt.setMemory(0, TABLE_LENGTH, (byte)0);
        for (int i = 0; i < PD_COUNT; i++)
        {
            pdpt.putLong(i * ENTRY_LENGTH, pdAddress(i) | PRESENT | WRITABLE, LITTLE_ENDIAN);
        }

        for (int i = 0; i < PD_COUNT; i++)
        {
            final UnsafeBuffer pd = memory.view(pdAddress(i), TABLE_LENGTH);
            for (int j = 0; j < ENTRIES_PER_TABLE; j++)
            {
                final long address = ((long)i * ENTRIES_PER_TABLE + j) * PAGE_SIZE_2M;
                pd.putLong(j * ENTRY_LENGTH, address | PRESENT | WRITABLE | LARGE_PAGE, LITTLE_ENDIAN);
            }
        }
    }

    static long pdAddress(final int index)
    {
        return BootLayout.PD_ADDRESS + (long)index * TABLE_LENGTH;
    }
}
