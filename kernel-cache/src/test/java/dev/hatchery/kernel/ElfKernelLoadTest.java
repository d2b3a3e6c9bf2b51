package dev.hatchery.kernel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.hatchery.kvm.GuestMemory;

/** Reading a kernel from a file and copying it into guest memory. */
class ElfKernelLoadTest
{
    private static final long RAM_SIZE = 128L << 20;

    @TempDir
    Path dir;

    @Test
    void shouldParseTheSameImageWhenReadFromAFile() throws IOException
    {
        final Path path = Files.write(dir.resolve("vmlinux"), ElfImageBuilder.kernel().build());

        final ElfKernel kernel = ElfKernel.read(path);

        assertEquals(path.toString(), kernel.name());
        assertEquals(ElfKernel.parse("x", ElfImageBuilder.kernel().build()).segments(), kernel.segments());
    }

    @Test
    void shouldNamePathAndReasonWhenFileIsMissing()
    {
        final Path path = dir.resolve("missing");

        final KernelImageException ex = assertThrows(KernelImageException.class, () -> ElfKernel.read(path));

        assertEquals("cannot read kernel image: path=" + path + " reason=no such file; pass the path of an uncompressed vmlinux",
            ex.getMessage());
    }

    @Test
    void shouldNamePathAndReasonWhenPathIsADirectory()
    {
        final KernelImageException ex = assertThrows(KernelImageException.class, () -> ElfKernel.read(dir));

        assertEquals("cannot read kernel image: path=" + dir + " reason=Is a directory; pass the path of an uncompressed vmlinux",
            ex.getMessage());
    }

    @Test
    void shouldRejectBeforeReadingWhenFileIsLargerThanTheLimit() throws IOException
    {
        final Path path = dir.resolve("disk.img");
        try (RandomAccessFile file = new RandomAccessFile(path.toFile(), "rw"))
        {
            // Sparse: costs no disk space, and reading it all would take 512 MiB of heap.
            file.setLength(ElfParser.MAX_IMAGE_SIZE + 1);
        }

        final KernelImageException ex = assertThrows(KernelImageException.class, () -> ElfKernel.read(path));

        assertEquals("kernel image is too large: file=" + path + " size=536870913 limit=536870912; pass an uncompressed vmlinux,"
            + " not a disk image (strip --strip-debug shrinks a debug build)", ex.getMessage());
    }

    @Test
    void shouldRejectWhenFileIsEmpty() throws IOException
    {
        final Path path = Files.createFile(dir.resolve("empty"));

        final KernelImageException ex = assertThrows(KernelImageException.class, () -> ElfKernel.read(path));

        assertEquals("kernel image is empty: file=" + path + " size=0; pass an uncompressed vmlinux (ELF64 x86-64)", ex.getMessage());
    }

    @Test
    void shouldPlaceFileBytesAtPhysicalAddressesAndLeaveBssZeroWhenCopied()
    {
        final ElfKernel kernel = ElfKernel.parse("vmlinux", ElfImageBuilder.kernel().build());

        try (GuestMemory memory = GuestMemory.anonymous(RAM_SIZE))
        {
            kernel.copyTo(memory);

            assertSegment(memory, 0, 0x1000000, 0x3000, 0x5000);
            assertSegment(memory, 1, 0x1400000, 0x1000, 0x2000);
            assertEquals(0, memory.view(0x1000000 - 1, 1).getByte(0));
        }
    }

    @Test
    void shouldCheckFitBeforeCopyingWhenMemoryIsTooSmall()
    {
        final ElfKernel kernel = ElfKernel.parse("vmlinux", ElfImageBuilder.kernel().build());

        try (GuestMemory memory = GuestMemory.anonymous(16L << 20))
        {
            final KernelImageException ex = assertThrows(KernelImageException.class, () -> kernel.copyTo(memory));

            assertEquals("kernel does not fit in guest RAM: file=vmlinux segment=[0x1000000, 0x1005000) low_ram_end=0x1000000"
                + " ram_size=16777216; give the VM more memory (--mem-mib), the kernel alone needs 21 MiB", ex.getMessage());
        }
    }

    private static void assertSegment(final GuestMemory memory, final int header, final long address, final int fileSize,
        final int memSize)
    {
        final byte[] expected = new byte[memSize];
        for (int i = 0; i < fileSize; i++)
        {
            expected[i] = ElfImageBuilder.contentByte(header, i);
        }
        final byte[] actual = new byte[memSize];
        final UnsafeBuffer view = memory.view(address, memSize);
        view.getBytes(0, actual);
        assertArrayEquals(expected, actual);
    }
}
