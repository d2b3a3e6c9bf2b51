package dev.hatchery.kernel;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The smallest kernel {@link ElfParser} accepts: an ELF64 x86-64 executable with one PT_LOAD holding {@code code}
 * at {@code address}, entered there in the 64-bit boot state. For guests that need no more than a few instructions
 * (an idle guest that holds a VM alive, tests' hand-made guests).
 */
public final class MinimalElf
{
    /** cli; hlt; jmp back to hlt: with the in-kernel irqchip the vCPU idles inside KVM_RUN, using no CPU, and never signals. */
    public static final byte[] IDLE_FOREVER = {(byte)0xfa, (byte)0xf4, (byte)0xeb, (byte)0xfd};
    /** Where a minimal guest's code goes: 1 MiB, as for the bundled flat guest. */
    public static final long LOAD_ADDRESS = 0x100000;

    private static final int HEADER_LENGTH = 64;
    private static final int PROGRAM_HEADER_LENGTH = 56;
    private static final short ET_EXEC = 2;
    private static final short EM_X86_64 = 62;
    private static final int PT_LOAD = 1;
    private static final int PF_R_X = 5;

    private MinimalElf()
    {
    }

    public static byte[] of(final long address, final byte[] code)
    {
        final ByteBuffer elf = ByteBuffer.allocate(HEADER_LENGTH + PROGRAM_HEADER_LENGTH + code.length).order(ByteOrder.LITTLE_ENDIAN);
        // e_ident: magic, ELFCLASS64, little-endian, version 1, System V ABI, padding.
        elf.put(new byte[] {0x7f, 'E', 'L', 'F', 2, 1, 1, 0}).put(new byte[8]);
        elf.putShort(ET_EXEC).putShort(EM_X86_64).putInt(1).putLong(address).putLong(HEADER_LENGTH).putLong(0);
        elf.putInt(0).putShort((short)HEADER_LENGTH).putShort((short)PROGRAM_HEADER_LENGTH).putShort((short)1).putShort((short)64)
            .putShort((short)0).putShort((short)0);
        elf.putInt(PT_LOAD).putInt(PF_R_X).putLong(HEADER_LENGTH + PROGRAM_HEADER_LENGTH).putLong(address).putLong(address)
            .putLong(code.length).putLong(code.length).putLong(0x1000);
        elf.put(code);
        return elf.array();
    }
}
