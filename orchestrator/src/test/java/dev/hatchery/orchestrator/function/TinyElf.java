package dev.hatchery.orchestrator.function;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/** Minimal ELF files for tests that check handlers without running them (the real handlers run in FunctionIT). */
public final class TinyElf
{
    private TinyElf()
    {
    }

    /** A static x86-64 executable's headers: one PT_LOAD, no interpreter. */
    public static byte[] staticExecutable()
    {
        return elf(2, 62, null);
    }

    /** The same, dynamically linked: a PT_INTERP naming {@code interpreter}. */
    public static byte[] dynamicExecutable(final String interpreter)
    {
        return elf(2, 62, interpreter);
    }

    /** An ELF header with the given type (1 relocatable, 2 executable, 3 shared) and machine. */
    public static byte[] elf(final int type, final int machine, final String interpreter)
    {
        final byte[] path = interpreter == null ? new byte[0] : (interpreter + "\0").getBytes(StandardCharsets.US_ASCII);
        final int phnum = interpreter == null ? 1 : 2;
        final ByteBuffer elf = ByteBuffer.allocate(64 + 56 * phnum + path.length).order(ByteOrder.LITTLE_ENDIAN);
        elf.put(new byte[] {0x7f, 'E', 'L', 'F', 2, 1, 1, 0});
        elf.position(16);
        elf.putShort((short)type).putShort((short)machine).putInt(1).putLong(0x401000).putLong(64).putLong(0).putInt(0)
            .putShort((short)64).putShort((short)56).putShort((short)phnum).putShort((short)64).putShort((short)0).putShort((short)0);
        elf.position(64);
        elf.putInt(1).putInt(5).putLong(0).putLong(0x400000).putLong(0x400000).putLong(elf.capacity()).putLong(elf.capacity()).putLong(0x1000);
        if (interpreter != null)
        {
            final int at = 64 + 56 * 2;
            elf.putInt(3).putInt(4).putLong(at).putLong(0).putLong(0).putLong(path.length).putLong(path.length).putLong(1);
            elf.put(path);
        }
        return elf.array();
    }
}
