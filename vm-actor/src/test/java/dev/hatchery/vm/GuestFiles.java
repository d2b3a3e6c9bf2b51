package dev.hatchery.vm;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;

/** The bundled guests (built by guest/build, announced by ./hatchery) and tiny hand-made ELF guests. */
public final class GuestFiles
{
    /** cli; hlt; jmp back to hlt: idles forever inside KVM_RUN with the in-kernel irqchip, never signals. */
    public static final byte[] IDLE_FOREVER = {(byte)0xfa, (byte)0xf4, (byte)0xeb, (byte)0xfd};

    private GuestFiles()
    {
    }

    public static Path flat()
    {
        return fromEnv("HATCHERY_FLAT_ELF");
    }

    public static Path vmlinux()
    {
        return fromEnv("HATCHERY_VMLINUX");
    }

    public static Path initramfs()
    {
        return fromEnv("HATCHERY_INITRAMFS");
    }

    private static Path fromEnv(final String name)
    {
        final String value = System.getenv(name);
        if (value == null || !Files.isRegularFile(Path.of(value)))
        {
            throw new IllegalStateException(name + " is not set to a built guest artifact (" + name + "=" + value
                + "); run the tests with ./hatchery test, which builds them with guest/build");
        }
        return Path.of(value);
    }

    /** A minimal ELF64 x86-64 executable with one PT_LOAD holding {@code code} at {@code address}. */
    public static byte[] elf64(final long address, final byte[] code)
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

    public static Path write(final Path dir, final String name, final byte[] bytes)
    {
        try
        {
            return Files.write(dir.resolve(name), bytes);
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }
}
