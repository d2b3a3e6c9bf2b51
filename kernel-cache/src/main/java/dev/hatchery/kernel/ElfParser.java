package dev.hatchery.kernel;

import static dev.hatchery.kernel.Hex.hex;
import static java.nio.ByteOrder.LITTLE_ENDIAN;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

import org.agrona.concurrent.UnsafeBuffer;

import dev.hatchery.config.GuestPhysicalMap;

/**
 * Validates an ELF64 x86-64 vmlinux and keeps its PT_LOAD bytes. Every check names the file, the offending
 * value and a fix, because a wrong kernel file is the most common way to get a guest that never boots.
 * ELF fields are unsigned; they are read into longs and compared so that huge values and sums that would
 * overflow are rejected instead of wrapping.
 */
final class ElfParser
{
    /** A vmlinux is tens of MiB; anything this big is a disk image or an unstripped debug build. */
    static final long MAX_IMAGE_SIZE = 512L << 20;

    private static final String PASS_VMLINUX = "pass an uncompressed vmlinux (ELF64 x86-64)";
    private static final String INCOMPLETE = "the file is incomplete, copy or build it again";
    private static final String CORRUPT = "the file is corrupt, build vmlinux again";
    private static final String BUILD_X86_64 = "pass a vmlinux built with ARCH=x86_64";

    /** bzImage setup header: "HdrS" at 0x202, the same place it sits in the zero page. */
    private static final int BZIMAGE_HEADER_OFFSET = 0x202;
    private static final int BZIMAGE_HEADER_MAGIC = 0x53726448;

    private ElfParser()
    {
    }

    static ElfKernel parse(final String name, final byte[] image)
    {
        checkImageSize(name, image.length);
        checkMagic(name, image);
        if (image.length < ElfHeader.IDENT_LENGTH)
        {
            throw truncatedHeader(name, image.length);
        }

        final UnsafeBuffer buffer = new UnsafeBuffer(image);
        checkIdent(name, buffer);
        if (image.length < ElfHeader.LENGTH)
        {
            throw truncatedHeader(name, image.length);
        }
        checkMachineAndType(name, buffer);

        final long entry = buffer.getLong(ElfHeader.ENTRY_OFFSET, LITTLE_ENDIAN);
        if (Long.compareUnsigned(entry, BootLayout.HIMEM_START) < 0)
        {
            throw new KernelImageException("kernel entry point lies below 1 MiB: file=" + name + " e_entry=" + hex(entry)
                + " himem_start=" + hex(BootLayout.HIMEM_START)
                + "; the 64-bit boot protocol enters at startup_64 above 1 MiB, so this is not an x86-64 vmlinux");
        }

        final List<Loadable> loadables = readLoadables(name, buffer, image.length);
        checkNoOverlap(name, loadables);
        checkFileBytesFit(name, loadables, image.length);
        checkEntryIsLoaded(name, entry, loadables);

        final List<LoadSegment> segments = new ArrayList<>(loadables.size());
        final List<byte[]> contents = new ArrayList<>(loadables.size());
        for (final Loadable loadable : loadables)
        {
            final LoadSegment segment = loadable.segment;
            segments.add(segment);
            // Only the bytes that go into guest memory are kept: symbols and debug info are dropped here.
            contents.add(Arrays.copyOfRange(image, (int)segment.fileOffset(), (int)(segment.fileOffset() + segment.fileSize())));
        }
        return new ElfKernel(name, entry, segments, contents);
    }

    /**
     * The PT_LOAD bytes are copied out of the file once each: segments that claim the same file bytes again would make
     * the copies add up to more than the file (up to the guest's whole address space from a small file). A vmlinux's
     * segments never share file bytes, so more than the file in all is a corrupt or hostile image.
     */
    private static void checkFileBytesFit(final String name, final List<Loadable> loadables, final long fileSize)
    {
        long total = 0;
        for (final Loadable loadable : loadables)
        {
            total += loadable.segment.fileSize();
        }
        if (total > fileSize)
        {
            throw new KernelImageException("PT_LOAD segments claim more file bytes than the file has: file=" + name + " sum_p_filesz="
                + hex(total) + " file_size=" + hex(fileSize) + "; segments share file bytes, " + CORRUPT);
        }
    }

    /** Also called before a file is read, so an oversized file is rejected without reading it. */
    static void checkImageSize(final String name, final long size)
    {
        if (size == 0)
        {
            throw new KernelImageException("kernel image is empty: file=" + name + " size=0; " + PASS_VMLINUX);
        }
        if (size > MAX_IMAGE_SIZE)
        {
            throw new KernelImageException("kernel image is too large: file=" + name + " size=" + size + " limit=" + MAX_IMAGE_SIZE
                + "; pass an uncompressed vmlinux, not a disk image (strip --strip-debug shrinks a debug build)");
        }
    }

    private static void checkMagic(final String name, final byte[] image)
    {
        final int length = Math.min(image.length, ElfHeader.MAGIC.length);
        for (int i = 0; i < length; i++)
        {
            if (image[i] != ElfHeader.MAGIC[i])
            {
                final String facts = "file=" + name + " magic=" + bytesHex(image, length) + " (expected 7f454c46)";
                if (looksLikeBzImage(image))
                {
                    throw new KernelImageException("kernel image is not an ELF file: " + facts
                        + "; this looks like a bzImage; pass the uncompressed vmlinux (in the kernel build tree, or"
                        + " scripts/extract-vmlinux)");
                }
                throw new KernelImageException("kernel image is not an ELF file: " + facts + "; " + PASS_VMLINUX);
            }
        }
    }

    /** EFI-stub bzImages start with the PE "MZ"; every bzImage has the setup header magic at 0x202. */
    private static boolean looksLikeBzImage(final byte[] image)
    {
        if (image.length >= 2 && image[0] == 'M' && image[1] == 'Z')
        {
            return true;
        }
        return image.length >= BZIMAGE_HEADER_OFFSET + 4
            && new UnsafeBuffer(image).getInt(BZIMAGE_HEADER_OFFSET, LITTLE_ENDIAN) == BZIMAGE_HEADER_MAGIC;
    }

    private static void checkIdent(final String name, final UnsafeBuffer buffer)
    {
        final int elfClass = buffer.getByte(ElfHeader.CLASS_OFFSET) & 0xff;
        if (elfClass == ElfHeader.ELFCLASS32)
        {
            throw new KernelImageException("kernel image is a 32-bit ELF (ELFCLASS32): file=" + name + " ei_class=" + elfClass
                + "; Hatchery boots 64-bit x86-64 kernels, " + BUILD_X86_64);
        }
        if (elfClass != ElfHeader.ELFCLASS64)
        {
            throw new KernelImageException("kernel image has an invalid ELF class: file=" + name + " ei_class=" + elfClass
                + " (expected 2, ELFCLASS64); " + CORRUPT);
        }
        final int data = buffer.getByte(ElfHeader.DATA_OFFSET) & 0xff;
        if (data != ElfHeader.ELFDATA2LSB)
        {
            final String what = data == ElfHeader.ELFDATA2MSB ? "big-endian (ELFDATA2MSB)" : "not little-endian";
            throw new KernelImageException("kernel image is " + what + ": file=" + name + " ei_data=" + data
                + " (expected 1, ELFDATA2LSB); Hatchery boots x86-64 kernels, which are little-endian");
        }
    }

    private static void checkMachineAndType(final String name, final UnsafeBuffer buffer)
    {
        final int machine = buffer.getShort(ElfHeader.MACHINE_OFFSET, LITTLE_ENDIAN) & 0xffff;
        if (machine != ElfHeader.EM_X86_64)
        {
            throw new KernelImageException("kernel image is not for x86-64: file=" + name + " e_machine=" + machine + " ("
                + ElfHeader.machineName(machine) + ", expected 62 EM_X86_64); " + BUILD_X86_64);
        }
        final int type = buffer.getShort(ElfHeader.TYPE_OFFSET, LITTLE_ENDIAN) & 0xffff;
        if (type != ElfHeader.ET_EXEC)
        {
            throw new KernelImageException("kernel image is not an executable: file=" + name + " e_type=" + type + " ("
                + ElfHeader.typeName(type) + ", expected 2 ET_EXEC); pass the linked vmlinux, not an object file or module");
        }
    }

    private static List<Loadable> readLoadables(final String name, final UnsafeBuffer buffer, final long size)
    {
        final long phoff = buffer.getLong(ElfHeader.PHOFF_OFFSET, LITTLE_ENDIAN);
        final int phnum = buffer.getShort(ElfHeader.PHNUM_OFFSET, LITTLE_ENDIAN) & 0xffff;
        final int phentsize = buffer.getShort(ElfHeader.PHENTSIZE_OFFSET, LITTLE_ENDIAN) & 0xffff;
        if (phnum > 0 && phentsize != ProgramHeader.LENGTH)
        {
            throw new KernelImageException("kernel image has an unexpected program header size: file=" + name + " e_phentsize="
                + phentsize + " (expected 56); " + CORRUPT);
        }
        final long tableLength = (long)phnum * ProgramHeader.LENGTH;
        if (phoff < 0 || phoff > size || tableLength > size - phoff)
        {
            throw new KernelImageException("kernel image is truncated: program headers lie outside the file: file=" + name
                + " e_phoff=" + hex(phoff) + " e_phnum=" + phnum + " e_phentsize=" + phentsize + " size=" + size + "; " + INCOMPLETE);
        }

        final List<Loadable> loadables = new ArrayList<>();
        for (int index = 0; index < phnum; index++)
        {
            final int header = (int)(phoff + (long)index * ProgramHeader.LENGTH);
            if (buffer.getInt(header + ProgramHeader.TYPE_OFFSET, LITTLE_ENDIAN) != ProgramHeader.PT_LOAD)
            {
                continue;
            }
            final LoadSegment segment = new LoadSegment(
                buffer.getLong(header + ProgramHeader.PADDR_OFFSET, LITTLE_ENDIAN),
                buffer.getLong(header + ProgramHeader.OFFSET_OFFSET, LITTLE_ENDIAN),
                buffer.getLong(header + ProgramHeader.FILESZ_OFFSET, LITTLE_ENDIAN),
                buffer.getLong(header + ProgramHeader.MEMSZ_OFFSET, LITTLE_ENDIAN));
            checkSegment(name, index, segment, size);
            // A PT_LOAD without memory loads nothing and cannot collide with anything.
            if (segment.memSize() != 0)
            {
                loadables.add(new Loadable(index, segment));
            }
        }
        if (loadables.isEmpty())
        {
            throw new KernelImageException("kernel image has no PT_LOAD segment: file=" + name + " e_phnum=" + phnum
                + "; " + PASS_VMLINUX + ", which has loadable segments");
        }
        loadables.sort(Comparator.comparingLong(loadable -> loadable.segment.physAddr()));
        return loadables;
    }

    private static void checkSegment(final String name, final int index, final LoadSegment segment, final long size)
    {
        final long offset = segment.fileOffset();
        final long fileSize = segment.fileSize();
        final long memSize = segment.memSize();
        final long physAddr = segment.physAddr();
        final String facts = "file=" + name + " program_header=" + index;
        if (offset < 0 || fileSize < 0 || offset > size || fileSize > size - offset)
        {
            throw new KernelImageException("kernel image is truncated: segment lies outside the file: " + facts + " p_offset="
                + hex(offset) + " p_filesz=" + hex(fileSize) + " size=" + size + "; " + INCOMPLETE);
        }
        if (Long.compareUnsigned(fileSize, memSize) > 0)
        {
            throw new KernelImageException("kernel image has a segment with more file bytes than memory: " + facts + " p_filesz="
                + hex(fileSize) + " p_memsz=" + hex(memSize) + "; " + CORRUPT);
        }
        if (memSize == 0)
        {
            return;
        }
        if (Long.compareUnsigned(physAddr, BootLayout.HIMEM_START) < 0)
        {
            throw new KernelImageException("kernel segment lies below 1 MiB, where the boot structures live: " + facts + " p_paddr="
                + hex(physAddr) + " p_memsz=" + hex(memSize) + " himem_start=" + hex(BootLayout.HIMEM_START)
                + "; pass a kernel linked at or above 1 MiB (an x86-64 vmlinux loads at 16 MiB)");
        }
        // Guest RAM ends at the MMIO gap, so a segment reaching past it fails for every RAM size.
        if (physAddr < 0 || memSize < 0 || memSize > GuestPhysicalMap.MMIO_GAP_START - physAddr)
        {
            throw new KernelImageException("kernel segment can never fit in guest RAM: " + facts + " p_paddr=" + hex(physAddr)
                + " p_memsz=" + hex(memSize) + " mmio_gap_start=" + hex(GuestPhysicalMap.MMIO_GAP_START)
                + "; guest RAM ends at the MMIO gap, pass a kernel linked below it");
        }
    }

    /** Sorted by address, so any overlap shows up between neighbours. */
    private static void checkNoOverlap(final String name, final List<Loadable> loadables)
    {
        for (int i = 1; i < loadables.size(); i++)
        {
            final Loadable previous = loadables.get(i - 1);
            final Loadable next = loadables.get(i);
            if (next.segment.physAddr() < previous.segment.endAddress())
            {
                throw new KernelImageException("kernel image has overlapping segments: file=" + name + " program_header="
                    + previous.index + " range=" + Hex.range(previous.segment.physAddr(), previous.segment.endAddress())
                    + " overlaps program_header=" + next.index + " range="
                    + Hex.range(next.segment.physAddr(), next.segment.endAddress()) + "; " + CORRUPT);
            }
        }
    }

    /** A jump to memory nothing was loaded into would fail inside the guest with no clue why. */
    private static void checkEntryIsLoaded(final String name, final long entry, final List<Loadable> loadables)
    {
        for (final Loadable loadable : loadables)
        {
            if (entry >= loadable.segment.physAddr() && entry < loadable.segment.endAddress())
            {
                return;
            }
        }
        throw new KernelImageException("kernel entry point lies outside every PT_LOAD segment: file=" + name + " e_entry="
            + hex(entry) + "; " + CORRUPT);
    }

    private static KernelImageException truncatedHeader(final String name, final long size)
    {
        return new KernelImageException("kernel image is truncated: ELF header lies outside the file: file=" + name + " size="
            + size + " elf_header_size=" + ElfHeader.LENGTH + "; " + INCOMPLETE);
    }

    private static String bytesHex(final byte[] image, final int length)
    {
        final StringBuilder builder = new StringBuilder(length * 2);
        for (int i = 0; i < length; i++)
        {
            builder.append(Character.forDigit((image[i] >> 4) & 0xf, 16)).append(Character.forDigit(image[i] & 0xf, 16));
        }
        return builder.toString();
    }

    /** A PT_LOAD with the index of its program header, which is how readelf -l lists it. */
    private static final class Loadable
    {
        final int index;
        final LoadSegment segment;

        Loadable(final int index, final LoadSegment segment)
        {
            this.index = index;
            this.segment = segment;
        }
    }
}
