package dev.hatchery.kernel;

import static dev.hatchery.kernel.Hex.hex;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;

import dev.hatchery.config.GuestPhysicalMap;
import dev.hatchery.kvm.GuestMemory;

/**
 * A validated ELF64 x86-64 vmlinux, read once. Only its PT_LOAD bytes are kept (the "prefetched" kernel),
 * so each VM costs a memory copy instead of a file read and a parse.
 */
public final class ElfKernel
{
    private static final long MIB = 1L << 20;

    private final String name;
    private final long entry;
    /** In ascending physical address order, none empty, none overlapping. */
    private final List<LoadSegment> segments;
    /** The file bytes of each segment, same order. */
    private final List<byte[]> contents;
    private final long lowestAddress;
    private final long endAddress;
    private final long fileBytes;

    ElfKernel(final String name, final long entry, final List<LoadSegment> segments, final List<byte[]> contents)
    {
        this.name = name;
        this.entry = entry;
        this.segments = List.copyOf(segments);
        this.contents = List.copyOf(contents);
        this.lowestAddress = segments.get(0).physAddr();
        long end = 0;
        long bytes = 0;
        for (final LoadSegment segment : segments)
        {
            end = Math.max(end, segment.endAddress());
            bytes += segment.fileSize();
        }
        this.endAddress = end;
        this.fileBytes = bytes;
    }

    /** Reads and validates a vmlinux; the size is checked before reading, so a huge wrong file is not read at all. */
    public static ElfKernel read(final Path path)
    {
        final String name = path.toString();
        final byte[] image;
        try
        {
            ElfParser.checkImageSize(name, Files.size(path));
            image = Files.readAllBytes(path);
        }
        catch (final IOException ex)
        {
            throw new KernelImageException("cannot read kernel image: path=" + path + " reason=" + reason(ex)
                + "; pass the path of an uncompressed vmlinux", ex);
        }
        return ElfParser.parse(name, image);
    }

    /** The same validation as {@link #read(Path)}, for images already in memory; {@code name} appears in errors. */
    public static ElfKernel parse(final String name, final byte[] image)
    {
        return ElfParser.parse(name, image);
    }

    public String name()
    {
        return name;
    }

    /** e_entry: the physical address of startup_64, where the vCPU starts; at least 1 MiB. */
    public long entry()
    {
        return entry;
    }

    /** The PT_LOAD segments that occupy memory, in ascending physical address order. */
    public List<LoadSegment> segments()
    {
        return segments;
    }

    /** The lowest p_paddr of any segment. */
    public long lowestAddress()
    {
        return lowestAddress;
    }

    /** One past the highest byte any segment occupies, bss included. */
    public long endAddress()
    {
        return endAddress;
    }

    /** Total p_filesz: the bytes {@link #copyTo(GuestMemory)} writes. */
    public long fileBytes()
    {
        return fileBytes;
    }

    /**
     * Checks that every segment lies in the guest's low RAM {@code [0, lowRamEnd(ramSize))}. Segments below
     * {@link BootLayout#HIMEM_START}, where the boot structures live, were already rejected when the image was parsed.
     */
    public void checkFits(final long ramSize)
    {
        if (ramSize < BootLayout.MIN_RAM_SIZE)
        {
            throw new KernelImageException("guest RAM is too small to boot: file=" + name + " ram_size=" + ramSize + " minimum="
                + BootLayout.MIN_RAM_SIZE + "; give the VM more memory (--mem-mib)");
        }
        final long lowRamEnd = GuestPhysicalMap.lowRamEnd(ramSize);
        for (final LoadSegment segment : segments)
        {
            if (segment.endAddress() > lowRamEnd)
            {
                throw new KernelImageException("kernel does not fit in guest RAM: file=" + name + " segment="
                    + Hex.range(segment.physAddr(), segment.endAddress()) + " low_ram_end=" + hex(lowRamEnd) + " ram_size=" + ramSize
                    + "; give the VM more memory (--mem-mib), the kernel alone needs " + (endAddress + MIB - 1) / MIB + " MiB");
            }
        }
    }

    /**
     * Copies each segment's file bytes to its p_paddr. The bss part of a segment (p_memsz beyond p_filesz) is left
     * as it is, because fresh guest memory is already zero; memory that held something else must be zeroed first.
     */
    public void copyTo(final GuestMemory memory)
    {
        checkFits(memory.size());
        for (int i = 0; i < segments.size(); i++)
        {
            final byte[] bytes = contents.get(i);
            memory.view(segments.get(i).physAddr(), bytes.length).putBytes(0, bytes);
        }
    }

    @Override
    public String toString()
    {
        return "ElfKernel{name=" + name + " entry=" + hex(entry) + " segments=" + segments.size() + " range="
            + Hex.range(lowestAddress, endAddress) + "}";
    }

    static String reason(final IOException ex)
    {
        if (ex instanceof NoSuchFileException)
        {
            return "no such file";
        }
        if (ex instanceof AccessDeniedException)
        {
            return "permission denied";
        }
        if (ex instanceof FileSystemException)
        {
            final String reason = ((FileSystemException)ex).getReason();
            return reason != null ? reason : ex.getClass().getSimpleName();
        }
        return ex.getMessage() != null ? ex.getMessage() : ex.getClass().getSimpleName();
    }
}
