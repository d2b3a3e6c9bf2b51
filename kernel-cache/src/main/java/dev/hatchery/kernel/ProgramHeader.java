package dev.hatchery.kernel;

/** Layout of one ELF64 program header ({@code Elf64_Phdr}, elf(5)); only PT_LOAD entries put bytes in memory. */
final class ProgramHeader
{
    static final int LENGTH = 56;

    static final int TYPE_OFFSET = 0;
    static final int OFFSET_OFFSET = 8;
    static final int PADDR_OFFSET = 24;
    static final int FILESZ_OFFSET = 32;
    static final int MEMSZ_OFFSET = 40;

    static final int PT_LOAD = 1;

    private ProgramHeader()
    {
    }
}
