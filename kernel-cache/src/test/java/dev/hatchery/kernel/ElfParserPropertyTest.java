package dev.hatchery.kernel;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.List;

import dev.hatchery.config.GuestPhysicalMap;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;

/**
 * Mutated kernel images through the ELF parser (jqwik, 10 000 tries): whatever the bytes, parsing ends in a kernel
 * or in {@link KernelImageException}, never in another exception or error; a kernel it accepts keeps no more bytes
 * than the file has (so nothing it allocates passes the file-size limit) and lies below the MMIO gap. Mutations start from valid images and hit what the parser reads:
 * header fields and program-header fields set to edge values, random bytes flipped, the file cut or extended.
 */
class ElfParserPropertyTest
{
    /** Offsets of the fields the parser reads: e_ident bytes, e_type, e_machine, e_entry, e_phoff, e_phentsize, e_phnum. */
    private static final int[] HEADER_FIELDS = {4, 5, 6, 16, 18, 24, 32, 54, 56};
    /** Offsets within a program header: p_type, p_flags, p_offset, p_vaddr, p_paddr, p_filesz, p_memsz, p_align. */
    private static final int[] PROGRAM_HEADER_FIELDS = {0, 4, 8, 16, 24, 32, 40, 48};
    private static final long[] EDGE_VALUES = {0, 1, -1, 0x7f, 0x80, 0xff, 0xffff, 0x7fffffffL, 0x80000000L, 0xffffffffL, 0x100000,
        0x1000000, GuestPhysicalMap.MMIO_GAP_START, GuestPhysicalMap.MMIO_GAP_START - 1, Long.MAX_VALUE, Long.MIN_VALUE,
        ElfParser.MAX_IMAGE_SIZE, ElfParser.MAX_IMAGE_SIZE + 1};

    private record Mutation(int kind, int where, long value)
    {
    }

    @Property(tries = 10_000)
    void shouldEndEveryMutatedImageInAKernelOrTheParsersOwnException(@ForAll("mutatedImages") final byte[] image)
    {
        final ElfKernel kernel;
        try
        {
            kernel = ElfParser.parse("fuzz.elf", image);
        }
        catch (final KernelImageException expected)
        {
            assertTrue(expected.getMessage().contains("fuzz.elf") || expected.getMessage().contains("kernel"), expected.getMessage());
            return;
        }
        assertTrue(kernel.fileBytes() <= image.length, "kept " + kernel.fileBytes() + " bytes of a " + image.length + "-byte file");
        assertTrue(kernel.endAddress() <= GuestPhysicalMap.MMIO_GAP_START, "ends at " + Long.toHexString(kernel.endAddress()));
        assertTrue(kernel.entry() >= kernel.lowestAddress() && kernel.entry() < kernel.endAddress(), "entry inside a segment");
    }

    @Provide
    Arbitrary<byte[]> mutatedImages()
    {
        final Arbitrary<byte[]> bases = Arbitraries.of(
            ElfImageBuilder.kernel().build(),
            new ElfImageBuilder().load(0x1000000, 0x100, 0x100).build(),
            ElfImageBuilder.kernel().note(0x40).build(),
            MinimalElf.of(MinimalElf.LOAD_ADDRESS, MinimalElf.IDLE_FOREVER));
        final Arbitrary<Mutation> mutation = Combinators.combine(Arbitraries.integers().between(0, 5), Arbitraries.integers().between(0, 1 << 16),
            Arbitraries.oneOf(Arbitraries.of(Arrays.stream(EDGE_VALUES).boxed().toList()), Arbitraries.longs())).as(Mutation::new);
        return Combinators.combine(bases, mutation.list().ofMinSize(1).ofMaxSize(6)).as(Tuple::of)
            .map(pair -> mutate(pair.get1(), pair.get2()));
    }

    private static byte[] mutate(final byte[] base, final List<Mutation> mutations)
    {
        byte[] image = base.clone();
        for (final Mutation mutation : mutations)
        {
            image = switch (mutation.kind())
            {
                case 0 -> putField(image, HEADER_FIELDS[mutation.where() % HEADER_FIELDS.length], mutation.value());
                case 1 -> putField(image, programHeaderField(image, mutation.where()), mutation.value());
                case 2 -> flip(image, mutation.where(), mutation.value());
                case 3 -> Arrays.copyOf(image, mutation.where() % (image.length + 1));
                case 4 -> Arrays.copyOf(image, image.length + mutation.where() % 4096);
                default -> putField(image, mutation.where() % Math.max(1, image.length), mutation.value());
            };
        }
        return image;
    }

    /** A field of one of the program headers (e_phoff as the file says, 56 bytes each). */
    private static int programHeaderField(final byte[] image, final int where)
    {
        final int phoff = image.length >= ElfHeader.LENGTH ? (int)Math.min(image.length, Math.max(0,
            ByteBuffer.wrap(image).order(ByteOrder.LITTLE_ENDIAN).getLong(32))) : 0;
        return phoff + (where / PROGRAM_HEADER_FIELDS.length % 4) * ProgramHeader.LENGTH + PROGRAM_HEADER_FIELDS[where % PROGRAM_HEADER_FIELDS.length];
    }

    /** Writes {@code value} little-endian at {@code offset} as far as the image reaches (a field cut by the end stays cut). */
    private static byte[] putField(final byte[] image, final int offset, final long value)
    {
        for (int i = 0; i < Long.BYTES && offset + i < image.length; i++)
        {
            image[offset + i] = (byte)(value >>> (8 * i));
        }
        return image;
    }

    private static byte[] flip(final byte[] image, final int where, final long value)
    {
        if (image.length > 0)
        {
            image[where % image.length] ^= (byte)(value == 0 ? 1 : value);
        }
        return image;
    }
}
