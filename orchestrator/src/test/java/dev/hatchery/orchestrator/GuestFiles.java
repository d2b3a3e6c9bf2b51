package dev.hatchery.orchestrator;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/** Tiny hand-made guests for tests: a minimal ELF64 x86-64 executable around a few instructions. */
final class GuestFiles
{
    private GuestFiles()
    {
    }

    /** One PT_LOAD holding {@code code} at {@code address}, entry at its first byte. */
    static byte[] elf64(final long address, final byte[] code)
    {
        final int headerSize = 64;
        final int phSize = 56;
        final ByteBuffer elf = ByteBuffer.allocate(headerSize + phSize + code.length).order(ByteOrder.LITTLE_ENDIAN);
        elf.put(new byte[] {0x7f, 'E', 'L', 'F', 2, 1, 1, 0}).put(new byte[8]);
        elf.putShort((short)2).putShort((short)62).putInt(1).putLong(address).putLong(headerSize).putLong(0);
        elf.putInt(0).putShort((short)headerSize).putShort((short)phSize).putShort((short)1).putShort((short)64)
            .putShort((short)0).putShort((short)0);
        elf.putInt(1).putInt(5).putLong(headerSize + phSize).putLong(address).putLong(address)
            .putLong(code.length).putLong(code.length).putLong(0x1000);
        elf.put(code);
        return elf.array();
    }
}
