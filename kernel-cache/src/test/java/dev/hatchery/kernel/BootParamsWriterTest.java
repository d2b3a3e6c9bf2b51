package dev.hatchery.kernel;

import static java.nio.ByteOrder.LITTLE_ENDIAN;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.charset.StandardCharsets;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import dev.hatchery.kvm.GuestMemory;

/** Reads back what the writer put into 128 MiB of guest memory, field by field, at the addresses x86-boot.md gives. */
class BootParamsWriterTest
{
    private static final long RAM_SIZE = 128L << 20;
    private static final String CMDLINE = "console=ttyS0 reboot=k panic=1";
    private static final long ZERO_PAGE = BootLayout.ZERO_PAGE_ADDRESS;

    private final ElfKernel kernel = ElfKernel.parse("vmlinux", ElfImageBuilder.kernel().build());
    private final GuestMemory memory = GuestMemory.anonymous(RAM_SIZE);

    @AfterEach
    void close()
    {
        memory.close();
    }

    @Test
    void shouldIdentityMapFourGigabytesWithLargePagesWhenWritten()
    {
        BootParamsWriter.write(memory, kernel, null, CMDLINE);

        assertEquals(0xa003, u64(0x9000));
        assertEquals(0, u64(0x9008));
        assertEquals(0xb003, u64(0xa000));
        assertEquals(0xc003, u64(0xa008));
        assertEquals(0xd003, u64(0xa010));
        assertEquals(0xe003, u64(0xa018));
        assertEquals(0, u64(0xa020));
        assertEquals(0x83, u64(0xb000));
        assertEquals(0x200083, u64(0xb008));
        assertEquals(0x3fe00083, u64(0xbff8));
        assertEquals(0x40000083, u64(0xc000));
        assertEquals(0xd0000083L, u64(0xe000 + (0xd0000000L >> 21) % 512 * 8));
        assertEquals(0xffe00083L, u64(0xeff8));
    }

    @Test
    void shouldWriteGdtAndEmptyIdtWhenWritten()
    {
        memory.view(BootLayout.IDT_ADDRESS, 8).setMemory(0, 8, (byte)0x5a);

        BootParamsWriter.write(memory, kernel, null, CMDLINE);

        assertEquals(0, u64(0x500));
        assertEquals(0x00af9b000000ffffL, u64(0x508));
        assertEquals(0x00cf93000000ffffL, u64(0x510));
        assertEquals(0x008f8b000000ffffL, u64(0x518));
        assertEquals(0, u64(0x520));
    }

    @Test
    void shouldWriteCmdlineWithNulAndPointZeroPageAtItWhenWritten()
    {
        memory.view(BootLayout.CMDLINE_ADDRESS, 64).setMemory(0, 64, (byte)'#');

        BootParamsWriter.write(memory, kernel, null, CMDLINE);

        final byte[] expected = (CMDLINE + "\0").getBytes(StandardCharsets.US_ASCII);
        final byte[] actual = new byte[expected.length];
        memory.view(BootLayout.CMDLINE_ADDRESS, actual.length).getBytes(0, actual);
        assertArrayEquals(expected, actual);
        assertEquals(0x20000, u32(ZERO_PAGE + 0x228));
        assertEquals(CMDLINE.length() + 1, u32(ZERO_PAGE + 0x238));
    }

    @Test
    void shouldFillSetupHeaderFieldsWhenWritten()
    {
        BootParamsWriter.write(memory, kernel, null, CMDLINE);

        assertEquals(0xaa55, memory.view(ZERO_PAGE + 0x1fe, 2).getShort(0, LITTLE_ENDIAN) & 0xffff);
        assertEquals(0x53726448, u32(ZERO_PAGE + 0x202));
        assertEquals("HdrS", ascii(ZERO_PAGE + 0x202, 4));
        assertEquals(0xff, u8(ZERO_PAGE + 0x210));
        assertEquals(0x01000000, u32(ZERO_PAGE + 0x230));
        assertEquals(0, u32(ZERO_PAGE + 0x218));
        assertEquals(0, u32(ZERO_PAGE + 0x21c));
    }

    @Test
    void shouldDescribeLowMemoryEbdaAndHighMemoryInE820WhenWritten()
    {
        BootParamsWriter.write(memory, kernel, null, CMDLINE);

        assertEquals(3, u8(ZERO_PAGE + 0x1e8));
        assertE820(0, 0, 0x9fc00, 1);
        assertE820(1, 0x9fc00, 0x100000 - 0x9fc00, 2);
        assertE820(2, 0x100000, RAM_SIZE - 0x100000, 1);
        assertE820(3, 0, 0, 0);
    }

    @Test
    void shouldClearStaleZeroPageBytesWhenWritten()
    {
        memory.view(ZERO_PAGE, 4096).setMemory(0, 4096, (byte)0xee);
        memory.view(0x9008, 8).putLong(0, 0x1234003L);

        BootParamsWriter.write(memory, kernel, null, CMDLINE);

        assertEquals(0, u64(ZERO_PAGE));
        assertEquals(0, u32(ZERO_PAGE + 0x218));
        assertEquals(0, u64(ZERO_PAGE + 0x2d0 + 3 * 20));
        assertEquals(0, u64(0x9008));
    }

    @Test
    void shouldPlaceInitrdOnThePageAfterTheKernelWhenGiven()
    {
        final byte[] initrd = new byte[10000];
        for (int i = 0; i < initrd.length; i++)
        {
            initrd[i] = (byte)(i * 13 + 1);
        }

        final long address = BootParamsWriter.write(memory, kernel, initrd, CMDLINE);

        assertEquals(0x1402000, address);
        assertEquals(0x1402000, u32(ZERO_PAGE + 0x218));
        assertEquals(10000, u32(ZERO_PAGE + 0x21c));
        final byte[] actual = new byte[initrd.length];
        memory.view(address, actual.length).getBytes(0, actual);
        assertArrayEquals(initrd, actual);
    }

    @Test
    void shouldReturnZeroAndLeaveRamdiskFieldsZeroWhenNoInitrd()
    {
        assertEquals(0, BootParamsWriter.write(memory, kernel, null, CMDLINE));

        assertEquals(0, u32(ZERO_PAGE + 0x218));
        assertEquals(0, u32(ZERO_PAGE + 0x21c));
    }

    @Test
    void shouldLeaveMemoryUntouchedWhenCmdlineIsInvalid()
    {
        final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class,
            () -> BootParamsWriter.write(memory, kernel, new byte[16], "a\nb"));

        assertEquals("kernel command line has a character that is not printable ASCII: index=1 char=0xa;"
            + " use characters 0x20..0x7e only (separate parameters with spaces)", ex.getMessage());
        assertEquals(0, u64(0x508));
        assertEquals(0, u64(0x9000));
        assertEquals(0, u32(ZERO_PAGE + 0x202));
    }

    @Test
    void shouldLeaveMemoryUntouchedWhenInitrdDoesNotFit()
    {
        try (GuestMemory small = GuestMemory.anonymous(32L << 20))
        {
            final KernelImageException ex = assertThrows(KernelImageException.class,
                () -> BootParamsWriter.write(small, kernel, new byte[12 << 20], CMDLINE));

            assertEquals("initrd does not fit: initrd_size=12582912 kernel_end=0x1402000 low_ram_end=0x2000000;"
                + " give the VM more memory (--mem-mib)", ex.getMessage());
            assertEquals(0, small.view(0x508, 8).getLong(0));
        }
    }

    @Test
    void shouldRejectEmptyInitrdWhenGiven()
    {
        final KernelImageException ex = assertThrows(KernelImageException.class,
            () -> BootParamsWriter.write(memory, kernel, new byte[0], CMDLINE));

        assertEquals("initrd is empty: initrd_size=0; pass a non-empty initramfs (cpio archive) or no initrd", ex.getMessage());
    }

    @Test
    void shouldReportKernelFitWhenRamIsTooSmallForTheKernel()
    {
        try (GuestMemory small = GuestMemory.anonymous(16L << 20))
        {
            final KernelImageException ex = assertThrows(KernelImageException.class,
                () -> BootParamsWriter.write(small, kernel, null, CMDLINE));

            assertEquals("kernel does not fit in guest RAM: file=vmlinux segment=[0x1000000, 0x1005000) low_ram_end=0x1000000"
                + " ram_size=16777216; give the VM more memory (--mem-mib), the kernel alone needs 21 MiB", ex.getMessage());
        }
    }

    @Test
    void shouldBootLayoutMatchKernelBytesWhenKernelIsCopiedToo()
    {
        kernel.copyTo(memory);
        BootParamsWriter.write(memory, kernel, new byte[] {1, 2, 3}, CMDLINE);

        assertEquals(ElfImageBuilder.contentByte(0, 0), memory.view(kernel.entry(), 1).getByte(0));
        assertEquals(0x1402000, u32(ZERO_PAGE + 0x218));
    }

    private void assertE820(final int index, final long addr, final long size, final int type)
    {
        final long entry = ZERO_PAGE + 0x2d0 + index * 20L;
        assertEquals(addr, u64(entry), "addr of e820 entry " + index);
        assertEquals(size, u64(entry + 8), "size of e820 entry " + index);
        assertEquals(type, u32(entry + 16), "type of e820 entry " + index);
    }

    private long u64(final long gpa)
    {
        return memory.view(gpa, 8).getLong(0, LITTLE_ENDIAN);
    }

    private long u32(final long gpa)
    {
        return memory.view(gpa, 4).getInt(0, LITTLE_ENDIAN) & 0xffffffffL;
    }

    private int u8(final long gpa)
    {
        return memory.view(gpa, 1).getByte(0) & 0xff;
    }

    private String ascii(final long gpa, final int length)
    {
        final UnsafeBuffer view = memory.view(gpa, length);
        return view.getStringWithoutLengthAscii(0, length);
    }
}
