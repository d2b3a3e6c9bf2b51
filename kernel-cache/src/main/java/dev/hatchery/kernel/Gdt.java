package dev.hatchery.kernel;

import static java.nio.ByteOrder.LITTLE_ENDIAN;

import org.agrona.concurrent.UnsafeBuffer;

import dev.hatchery.kvm.GuestMemory;

/**
 * The GDT and IDT in guest memory. KVM takes the segment registers from sregs, but the guest reloads them
 * from this table (e.g. on an iret) before it installs its own, so both must describe the same segments.
 */
final class Gdt
{
    static final int ENTRY_LENGTH = 8;
    /** Indexed by selector / 8: null, code (0x08), data (0x10), TSS (0x18). */
    private static final long[] ENTRIES = {BootLayout.GDT_NULL, BootLayout.GDT_CODE, BootLayout.GDT_DATA, BootLayout.GDT_TSS};

    private Gdt()
    {
    }

    static void write(final GuestMemory memory)
    {
        final UnsafeBuffer gdt = memory.view(BootLayout.GDT_ADDRESS, BootLayout.GDT_LIMIT + 1);
        for (int i = 0; i < ENTRIES.length; i++)
        {
            gdt.putLong(i * ENTRY_LENGTH, ENTRIES[i], LITTLE_ENDIAN);
        }
        // One empty entry: an interrupt before the kernel sets up its IDT should fault loudly, not jump anywhere.
        memory.view(BootLayout.IDT_ADDRESS, BootLayout.IDT_LIMIT + 1).setMemory(0, BootLayout.IDT_LIMIT + 1, (byte)0);
    }
}
