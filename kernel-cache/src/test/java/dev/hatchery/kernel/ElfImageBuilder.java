package dev.hatchery.kernel;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/**
 * Assembles small ELF64 images for tests: a header, the program headers right after it, then the file bytes
 * of each segment in order. Fields can be set to wrong values to exercise each validation error.
 */
final class ElfImageBuilder
{
    static final long ENTRY = 0x1000000;
    static final int PT_NOTE = 4;

    private int elfClass = ElfHeader.ELFCLASS64;
    private int data = ElfHeader.ELFDATA2LSB;
    private int type = ElfHeader.ET_EXEC;
    private int machine = ElfHeader.EM_X86_64;
    private long entry = ENTRY;
    private int phentsize = ProgramHeader.LENGTH;
    private long phoff = ElfHeader.LENGTH;
    private final List<Header> headers = new ArrayList<>();

    /** The usual test kernel: text with bss at 16 MiB, data at 20 MiB; ends at 0x1402000. */
    static ElfImageBuilder kernel()
    {
        return new ElfImageBuilder()
            .load(0x1000000, 0x3000, 0x5000)
            .load(0x1400000, 0x1000, 0x2000);
    }

    /** The byte the builder puts at offset {@code index} of the file bytes of program header {@code header}. */
    static byte contentByte(final int header, final long index)
    {
        return (byte)(0x11 * (header + 1) + index * 7);
    }

    ElfImageBuilder load(final long paddr, final long filesz, final long memsz)
    {
        headers.add(new Header(ProgramHeader.PT_LOAD, paddr, true, 0, filesz, memsz));
        return this;
    }

    /** A PT_LOAD whose p_offset is given rather than pointing at bytes the builder writes. */
    ElfImageBuilder loadAt(final long paddr, final long offset, final long filesz, final long memsz)
    {
        headers.add(new Header(ProgramHeader.PT_LOAD, paddr, false, offset, filesz, memsz));
        return this;
    }

    ElfImageBuilder note(final long filesz)
    {
        headers.add(new Header(PT_NOTE, 0, true, 0, filesz, 0));
        return this;
    }

    ElfImageBuilder elfClass(final int value)
    {
        elfClass = value;
        return this;
    }

    ElfImageBuilder data(final int value)
    {
        data = value;
        return this;
    }

    ElfImageBuilder type(final int value)
    {
        type = value;
        return this;
    }

    ElfImageBuilder machine(final int value)
    {
        machine = value;
        return this;
    }

    ElfImageBuilder entry(final long value)
    {
        entry = value;
        return this;
    }

    ElfImageBuilder phentsize(final int value)
    {
        phentsize = value;
        return this;
    }

    ElfImageBuilder phoff(final long value)
    {
        phoff = value;
        return this;
    }

    /** Header, program headers at offset 64 (whatever e_phoff says), then segment bytes from a 16-aligned offset. */
    byte[] build()
    {
        final int dataStart = align16(ElfHeader.LENGTH + headers.size() * ProgramHeader.LENGTH);
        long size = dataStart;
        for (final Header header : headers)
        {
            size += header.placed ? header.filesz : 0;
        }
        final ByteBuffer buffer = ByteBuffer.allocate((int)size).order(ByteOrder.LITTLE_ENDIAN);
        buffer.put(ElfHeader.MAGIC);
        buffer.put(ElfHeader.CLASS_OFFSET, (byte)elfClass);
        buffer.put(ElfHeader.DATA_OFFSET, (byte)data);
        buffer.put(6, (byte)1);
        buffer.putShort(ElfHeader.TYPE_OFFSET, (short)type);
        buffer.putShort(ElfHeader.MACHINE_OFFSET, (short)machine);
        buffer.putInt(20, 1);
        buffer.putLong(ElfHeader.ENTRY_OFFSET, entry);
        buffer.putLong(ElfHeader.PHOFF_OFFSET, phoff);
        buffer.putShort(52, (short)ElfHeader.LENGTH);
        buffer.putShort(ElfHeader.PHENTSIZE_OFFSET, (short)phentsize);
        buffer.putShort(ElfHeader.PHNUM_OFFSET, (short)headers.size());

        long next = dataStart;
        for (int i = 0; i < headers.size(); i++)
        {
            final Header header = headers.get(i);
            final long offset = header.placed ? next : header.offset;
            final int at = ElfHeader.LENGTH + i * ProgramHeader.LENGTH;
            buffer.putInt(at + ProgramHeader.TYPE_OFFSET, header.type);
            buffer.putInt(at + 4, 5);
            buffer.putLong(at + ProgramHeader.OFFSET_OFFSET, offset);
            buffer.putLong(at + 16, header.paddr);
            buffer.putLong(at + ProgramHeader.PADDR_OFFSET, header.paddr);
            buffer.putLong(at + ProgramHeader.FILESZ_OFFSET, header.filesz);
            buffer.putLong(at + ProgramHeader.MEMSZ_OFFSET, header.memsz);
            buffer.putLong(at + 48, 0x1000);
            if (header.placed)
            {
                for (long k = 0; k < header.filesz; k++)
                {
                    buffer.put((int)(offset + k), contentByte(i, k));
                }
                next += header.filesz;
            }
        }
        return buffer.array();
    }

    private static int align16(final int value)
    {
        return (value + 15) & ~15;
    }

    /** placed: the builder writes the file bytes itself and ignores offset. */
    private record Header(int type, long paddr, boolean placed, long offset, long filesz, long memsz)
    {
    }
}
