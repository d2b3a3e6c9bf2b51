package dev.hatchery.kernel;

/** Layout of the ELF64 file header ({@code Elf64_Ehdr}, elf(5)) and the values a vmlinux must have in it. */
final class ElfHeader
{
    /** e_ident: magic, class, data encoding; the rest of the header depends on class and encoding. */
    static final int IDENT_LENGTH = 16;
    static final int LENGTH = 64;

    static final int MAGIC_OFFSET = 0;
    static final int CLASS_OFFSET = 4;
    static final int DATA_OFFSET = 5;
    static final int TYPE_OFFSET = 16;
    static final int MACHINE_OFFSET = 18;
    static final int ENTRY_OFFSET = 24;
    static final int PHOFF_OFFSET = 32;
    static final int PHENTSIZE_OFFSET = 54;
    static final int PHNUM_OFFSET = 56;

    /** "\x7fELF" in file order. */
    static final byte[] MAGIC = {0x7f, 'E', 'L', 'F'};
    static final int ELFCLASS32 = 1;
    static final int ELFCLASS64 = 2;
    static final int ELFDATA2LSB = 1;
    static final int ELFDATA2MSB = 2;
    static final int ET_EXEC = 2;
    static final int EM_X86_64 = 62;

    private ElfHeader()
    {
    }

    /** Names for the e_type values a wrong file is likely to have, so the message says what it got. */
    static String typeName(final int type)
    {
        switch (type)
        {
            case 0:
                return "ET_NONE";
            case 1:
                return "ET_REL";
            case 2:
                return "ET_EXEC";
            case 3:
                return "ET_DYN";
            case 4:
                return "ET_CORE";
            default:
                return "unknown";
        }
    }

    /** Names for the e_machine values of kernels people are likely to pass by mistake. */
    static String machineName(final int machine)
    {
        switch (machine)
        {
            case 3:
                return "EM_386";
            case 40:
                return "EM_ARM";
            case 62:
                return "EM_X86_64";
            case 183:
                return "EM_AARCH64";
            case 243:
                return "EM_RISCV";
            default:
                return "unknown";
        }
    }
}
