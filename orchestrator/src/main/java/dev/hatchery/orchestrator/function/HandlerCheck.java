package dev.hatchery.orchestrator.function;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * Whether a handler can run in a function's guest: a static Linux x86-64 ELF executable. The guest has no C library and
 * no dynamic loader, so anything else would only fail inside every clone; it is refused at deploy time instead, with
 * what is wrong and how to build it right.
 */
final class HandlerCheck
{
    private static final int EHDR_BYTES = 64;
    private static final int PHDR_BYTES = 56;
    private static final int ET_EXEC = 2;
    private static final int ET_DYN = 3;
    private static final int EM_X86_64 = 62;
    private static final int PT_INTERP = 3;
    private static final String HOW = "build it as a static Linux x86-64 executable (e.g. gcc -static, or nolibc as the examples)";

    private HandlerCheck()
    {
    }

    /** What makes {@code elf} unfit as a handler, or null when it is fit. Never throws, whatever the bytes. */
    static String problem(final byte[] elf)
    {
        if (elf.length < EHDR_BYTES || elf[0] != 0x7f || elf[1] != 'E' || elf[2] != 'L' || elf[3] != 'F')
        {
            return "the handler is not an ELF file (" + elf.length + " bytes, no ELF magic): " + HOW;
        }
        if (elf[4] != 2 || elf[5] != 1)
        {
            return "the handler is a " + (elf[4] == 1 ? "32-bit" : "non-64-bit") + (elf[5] == 2 ? " big-endian" : "") + " ELF file: " + HOW;
        }
        final ByteBuffer header = ByteBuffer.wrap(elf).order(ByteOrder.LITTLE_ENDIAN);
        final int type = Short.toUnsignedInt(header.getShort(16));
        final int machine = Short.toUnsignedInt(header.getShort(18));
        if (machine != EM_X86_64)
        {
            return "the handler is built for ELF machine " + machine + ", not x86-64 (62): " + HOW;
        }
        if (type != ET_EXEC && type != ET_DYN)
        {
            return "the handler is not an executable (ELF type " + type + (type == 1 ? ", a relocatable object: link it" : "") + "): " + HOW;
        }
        final long phoff = header.getLong(32);
        final int phentsize = Short.toUnsignedInt(header.getShort(54));
        final int phnum = Short.toUnsignedInt(header.getShort(56));
        if (phnum == 0 || phentsize < PHDR_BYTES || phoff < 0 || phoff + (long)phnum * phentsize > elf.length)
        {
            return "the handler's program headers lie outside the file (phoff=" + phoff + " phnum=" + phnum + " phentsize=" + phentsize
                + " size=" + elf.length + "): the file is cut short or damaged";
        }
        for (int i = 0; i < phnum; i++)
        {
            final int at = (int)(phoff + (long)i * phentsize);
            if (header.getInt(at) == PT_INTERP)
            {
                return "the handler is dynamically linked (it asks for the loader " + interpreter(elf, header, at)
                    + ", which the guest does not have): link it with -static";
            }
        }
        return null;
    }

    private static String interpreter(final byte[] elf, final ByteBuffer header, final int phdr)
    {
        final long offset = header.getLong(phdr + 8);
        final long size = header.getLong(phdr + 32);
        if (offset < 0 || size <= 0 || size > 256 || offset + size > elf.length)
        {
            return "(unreadable path)";
        }
        final String path = new String(elf, (int)offset, (int)size, StandardCharsets.US_ASCII);
        return path.replace("\0", "").replaceAll("[^\\x20-\\x7e]", "?");
    }
}
