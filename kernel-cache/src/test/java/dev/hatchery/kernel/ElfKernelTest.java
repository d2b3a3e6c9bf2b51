package dev.hatchery.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class ElfKernelTest
{
    private static final String CORRUPT = "; the file is corrupt, build vmlinux again";
    private static final String INCOMPLETE = "; the file is incomplete, copy or build it again";
    private static final String BZIMAGE = "; this looks like a bzImage; pass the uncompressed vmlinux (in the kernel build tree,"
        + " or scripts/extract-vmlinux)";

    @Test
    void shouldExposeEntryAndSegmentsWhenImageIsValid()
    {
        final ElfKernel kernel = ElfKernel.parse("vmlinux", ElfImageBuilder.kernel().build());

        assertEquals("vmlinux", kernel.name());
        assertEquals(0x1000000, kernel.entry());
        assertEquals(List.of(new LoadSegment(0x1000000, 0xb0, 0x3000, 0x5000), new LoadSegment(0x1400000, 0x30b0, 0x1000, 0x2000)),
            kernel.segments());
        assertEquals(0x1000000, kernel.lowestAddress());
        assertEquals(0x1402000, kernel.endAddress());
        assertEquals(0x4000, kernel.fileBytes());
    }

    @Test
    void shouldSortSegmentsByAddressWhenFileListsThemOutOfOrder()
    {
        final ElfKernel kernel = ElfKernel.parse("vmlinux", new ElfImageBuilder()
            .load(0x1400000, 0x100, 0x100)
            .load(0x1000000, 0x200, 0x200)
            .build());

        assertEquals(List.of(0x1000000L, 0x1400000L), kernel.segments().stream().map(LoadSegment::physAddr).toList());
        assertEquals(0x1000000, kernel.lowestAddress());
        assertEquals(0x1400100, kernel.endAddress());
    }

    @Test
    void shouldIgnoreOtherProgramHeadersAndEmptyLoadsWhenCollectingSegments()
    {
        final ElfKernel kernel = ElfKernel.parse("vmlinux", new ElfImageBuilder()
            .note(0x30)
            .load(0x1000000, 0x100, 0x100)
            .load(0x1000080, 0, 0)
            .build());

        assertEquals(List.of(new LoadSegment(0x1000000, 0x120, 0x100, 0x100)), kernel.segments());
    }

    @Test
    void shouldAcceptEntryInBssWhenItLiesInsideSegmentMemory()
    {
        final ElfKernel kernel = ElfKernel.parse("vmlinux", ElfImageBuilder.kernel().entry(0x1004fff).build());

        assertEquals(0x1004fff, kernel.entry());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("invalidImages")
    void shouldRejectWithFactsAndFixWhenImageIsInvalid(final String description, final byte[] image, final String message)
    {
        final KernelImageException ex = assertThrows(KernelImageException.class, () -> ElfKernel.parse("vmlinux", image));

        assertEquals(message, ex.getMessage());
    }

    static Stream<Arguments> invalidImages()
    {
        return Stream.of(
            Arguments.of("empty file", new byte[0],
                "kernel image is empty: file=vmlinux size=0; pass an uncompressed vmlinux (ELF64 x86-64)"),
            Arguments.of("text file", "hello".getBytes(StandardCharsets.US_ASCII),
                "kernel image is not an ELF file: file=vmlinux magic=68656c6c (expected 7f454c46);"
                + " pass an uncompressed vmlinux (ELF64 x86-64)"),
            Arguments.of("EFI bzImage (MZ)", bzImage(new byte[] {'M', 'Z'}, false),
                "kernel image is not an ELF file: file=vmlinux magic=4d5a0000 (expected 7f454c46)" + BZIMAGE),
            Arguments.of("bzImage (HdrS at 0x202)", bzImage(new byte[] {(byte)0xeb, 0x3c}, true),
                "kernel image is not an ELF file: file=vmlinux magic=eb3c0000 (expected 7f454c46)" + BZIMAGE),
            Arguments.of("truncated inside e_ident", new byte[] {0x7f, 'E', 'L'},
                "kernel image is truncated: ELF header lies outside the file: file=vmlinux size=3 elf_header_size=64" + INCOMPLETE),
            Arguments.of("truncated header", cut(ElfImageBuilder.kernel().build(), 40),
                "kernel image is truncated: ELF header lies outside the file: file=vmlinux size=40 elf_header_size=64" + INCOMPLETE),
            Arguments.of("32-bit ELF", ElfImageBuilder.kernel().elfClass(1).build(),
                "kernel image is a 32-bit ELF (ELFCLASS32): file=vmlinux ei_class=1; Hatchery boots 64-bit x86-64 kernels,"
                + " pass a vmlinux built with ARCH=x86_64"),
            Arguments.of("32-bit ELF with a 52-byte header", cut(ElfImageBuilder.kernel().elfClass(1).build(), 52),
                "kernel image is a 32-bit ELF (ELFCLASS32): file=vmlinux ei_class=1; Hatchery boots 64-bit x86-64 kernels,"
                + " pass a vmlinux built with ARCH=x86_64"),
            Arguments.of("invalid class", ElfImageBuilder.kernel().elfClass(0).build(),
                "kernel image has an invalid ELF class: file=vmlinux ei_class=0 (expected 2, ELFCLASS64)" + CORRUPT),
            Arguments.of("big-endian", ElfImageBuilder.kernel().data(2).build(),
                "kernel image is big-endian (ELFDATA2MSB): file=vmlinux ei_data=2 (expected 1, ELFDATA2LSB);"
                + " Hatchery boots x86-64 kernels, which are little-endian"),
            Arguments.of("invalid data encoding", ElfImageBuilder.kernel().data(0).build(),
                "kernel image is not little-endian: file=vmlinux ei_data=0 (expected 1, ELFDATA2LSB);"
                + " Hatchery boots x86-64 kernels, which are little-endian"),
            Arguments.of("wrong machine", ElfImageBuilder.kernel().machine(183).build(),
                "kernel image is not for x86-64: file=vmlinux e_machine=183 (EM_AARCH64, expected 62 EM_X86_64);"
                + " pass a vmlinux built with ARCH=x86_64"),
            Arguments.of("unknown machine", ElfImageBuilder.kernel().machine(4242).build(),
                "kernel image is not for x86-64: file=vmlinux e_machine=4242 (unknown, expected 62 EM_X86_64);"
                + " pass a vmlinux built with ARCH=x86_64"),
            Arguments.of("shared object", ElfImageBuilder.kernel().type(3).build(),
                "kernel image is not an executable: file=vmlinux e_type=3 (ET_DYN, expected 2 ET_EXEC);"
                + " pass the linked vmlinux, not an object file or module"),
            Arguments.of("entry below 1 MiB", ElfImageBuilder.kernel().entry(0x1000).build(),
                "kernel entry point lies below 1 MiB: file=vmlinux e_entry=0x1000 himem_start=0x100000;"
                + " the 64-bit boot protocol enters at startup_64 above 1 MiB, so this is not an x86-64 vmlinux"),
            Arguments.of("wrong program header size", ElfImageBuilder.kernel().phentsize(32).build(),
                "kernel image has an unexpected program header size: file=vmlinux e_phentsize=32 (expected 56)" + CORRUPT),
            Arguments.of("truncated program headers", cut(ElfImageBuilder.kernel().build(), 100),
                "kernel image is truncated: program headers lie outside the file: file=vmlinux e_phoff=0x40 e_phnum=2"
                + " e_phentsize=56 size=100" + INCOMPLETE),
            Arguments.of("program header offset past the file", ElfImageBuilder.kernel().phoff(0x8000).build(),
                "kernel image is truncated: program headers lie outside the file: file=vmlinux e_phoff=0x8000 e_phnum=2"
                + " e_phentsize=56 size=16560" + INCOMPLETE),
            Arguments.of("program header offset that overflows", ElfImageBuilder.kernel().phoff(0xffffffffffffffc0L).build(),
                "kernel image is truncated: program headers lie outside the file: file=vmlinux e_phoff=0xffffffffffffffc0 e_phnum=2"
                + " e_phentsize=56 size=16560" + INCOMPLETE),
            Arguments.of("truncated segment", cut(ElfImageBuilder.kernel().build(), 0xb0 + 0x3800),
                "kernel image is truncated: segment lies outside the file: file=vmlinux program_header=1 p_offset=0x30b0"
                + " p_filesz=0x1000 size=14512" + INCOMPLETE),
            Arguments.of("segment offset past the file", new ElfImageBuilder().loadAt(0x1000000, 0x1000, 0x2000, 0x2000).build(),
                "kernel image is truncated: segment lies outside the file: file=vmlinux program_header=0 p_offset=0x1000"
                + " p_filesz=0x2000 size=128" + INCOMPLETE),
            Arguments.of("segment range that overflows", new ElfImageBuilder().loadAt(0x1000000, 0xffffffffffffff00L, 0x200, 0x200).build(),
                "kernel image is truncated: segment lies outside the file: file=vmlinux program_header=0"
                + " p_offset=0xffffffffffffff00 p_filesz=0x200 size=128" + INCOMPLETE),
            Arguments.of("p_filesz > p_memsz", new ElfImageBuilder().load(0x1000000, 0x2000, 0x1000).build(),
                "kernel image has a segment with more file bytes than memory: file=vmlinux program_header=0 p_filesz=0x2000"
                + " p_memsz=0x1000" + CORRUPT),
            Arguments.of("no program headers", new ElfImageBuilder().build(),
                "kernel image has no PT_LOAD segment: file=vmlinux e_phnum=0; pass an uncompressed vmlinux (ELF64 x86-64),"
                + " which has loadable segments"),
            Arguments.of("no PT_LOAD", new ElfImageBuilder().note(0x10).build(),
                "kernel image has no PT_LOAD segment: file=vmlinux e_phnum=1; pass an uncompressed vmlinux (ELF64 x86-64),"
                + " which has loadable segments"),
            Arguments.of("segment below 1 MiB", new ElfImageBuilder().load(0x80000, 0x1000, 0x1000).build(),
                "kernel segment lies below 1 MiB, where the boot structures live: file=vmlinux program_header=0 p_paddr=0x80000"
                + " p_memsz=0x1000 himem_start=0x100000; pass a kernel linked at or above 1 MiB (an x86-64 vmlinux loads at 16 MiB)"),
            Arguments.of("segment into the MMIO gap", new ElfImageBuilder().load(0xcfffe000L, 0x1000, 0x4000).build(),
                "kernel segment can never fit in guest RAM: file=vmlinux program_header=0 p_paddr=0xcfffe000 p_memsz=0x4000"
                + " mmio_gap_start=0xd0000000; guest RAM ends at the MMIO gap, pass a kernel linked below it"),
            Arguments.of("segment address that overflows", new ElfImageBuilder().load(0xffffffffffff0000L, 0, 0x20000).build(),
                "kernel segment can never fit in guest RAM: file=vmlinux program_header=0 p_paddr=0xffffffffffff0000 p_memsz=0x20000"
                + " mmio_gap_start=0xd0000000; guest RAM ends at the MMIO gap, pass a kernel linked below it"),
            Arguments.of("segment size that overflows", new ElfImageBuilder().load(0x1000000, 0, 0x8000000000000000L).build(),
                "kernel segment can never fit in guest RAM: file=vmlinux program_header=0 p_paddr=0x1000000"
                + " p_memsz=0x8000000000000000 mmio_gap_start=0xd0000000; guest RAM ends at the MMIO gap, pass a kernel linked below it"),
            Arguments.of("overlapping segments", new ElfImageBuilder().load(0x1000000, 0x1000, 0x3000).load(0x1002000, 0x1000, 0x1000).build(),
                "kernel image has overlapping segments: file=vmlinux program_header=0 range=[0x1000000, 0x1003000) overlaps"
                + " program_header=1 range=[0x1002000, 0x1003000)" + CORRUPT),
            Arguments.of("overlapping segments out of order", new ElfImageBuilder().load(0x1002000, 0x10, 0x10).load(0x1000000, 0x10, 0x3000).build(),
                "kernel image has overlapping segments: file=vmlinux program_header=1 range=[0x1000000, 0x1003000) overlaps"
                + " program_header=0 range=[0x1002000, 0x1002010)" + CORRUPT),
            Arguments.of("entry outside every segment", ElfImageBuilder.kernel().entry(0x1005000).build(),
                "kernel entry point lies outside every PT_LOAD segment: file=vmlinux e_entry=0x1005000" + CORRUPT));
    }

    @Test
    void shouldRejectWhenRamIsSmallerThanTheMinimum()
    {
        final ElfKernel kernel = ElfKernel.parse("vmlinux", ElfImageBuilder.kernel().build());

        final KernelImageException ex = assertThrows(KernelImageException.class, () -> kernel.checkFits(0x100000));

        assertEquals("guest RAM is too small to boot: file=vmlinux ram_size=1048576 minimum=2097152; give the VM more memory"
            + " (--mem-mib)", ex.getMessage());
    }

    @Test
    void shouldNameSegmentRangeAndRamSizeWhenKernelDoesNotFit()
    {
        final ElfKernel kernel = ElfKernel.parse("vmlinux", ElfImageBuilder.kernel().build());

        final KernelImageException ex = assertThrows(KernelImageException.class, () -> kernel.checkFits(16L << 20));

        assertEquals("kernel does not fit in guest RAM: file=vmlinux segment=[0x1000000, 0x1005000) low_ram_end=0x1000000"
            + " ram_size=16777216; give the VM more memory (--mem-mib), the kernel alone needs 21 MiB", ex.getMessage());
    }

    @Test
    void shouldRejectWhenOnlyTheBssOfTheLastSegmentIsPastRamEnd()
    {
        final ElfKernel kernel = ElfKernel.parse("vmlinux", ElfImageBuilder.kernel().build());

        final KernelImageException ex = assertThrows(KernelImageException.class, () -> kernel.checkFits(0x1401000));

        assertEquals("kernel does not fit in guest RAM: file=vmlinux segment=[0x1400000, 0x1402000) low_ram_end=0x1401000"
            + " ram_size=20975616; give the VM more memory (--mem-mib), the kernel alone needs 21 MiB", ex.getMessage());
    }

    @Test
    void shouldFitWhenRamEndsExactlyAtKernelEnd()
    {
        final ElfKernel kernel = ElfKernel.parse("vmlinux", ElfImageBuilder.kernel().build());

        kernel.checkFits(0x1402000);
        kernel.checkFits(8L << 30);
    }

    private static byte[] cut(final byte[] image, final int length)
    {
        return Arrays.copyOf(image, length);
    }

    private static byte[] bzImage(final byte[] start, final boolean withHeader)
    {
        final byte[] image = new byte[0x400];
        System.arraycopy(start, 0, image, 0, start.length);
        if (withHeader)
        {
            System.arraycopy("HdrS".getBytes(StandardCharsets.US_ASCII), 0, image, 0x202, 4);
        }
        return image;
    }

    @Test
    void shouldRefuseSegmentsThatClaimTheSameFileBytesTwice()
    {
        final byte[] image = new ElfImageBuilder().loadAt(0x1000000, 0, 0x80, 0x1000).loadAt(0x1100000, 0, 0x80, 0x1000).build();

        final KernelImageException ex = assertThrows(KernelImageException.class, () -> ElfKernel.parse("twice.elf", image));

        assertTrue(ex.getMessage().startsWith("PT_LOAD segments claim more file bytes than the file has: file=twice.elf sum_p_filesz=0x100"
            + " file_size="), ex.getMessage());
    }
}
