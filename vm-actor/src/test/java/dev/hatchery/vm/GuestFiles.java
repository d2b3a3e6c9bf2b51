package dev.hatchery.vm;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** The bundled guests (built by guest/build, announced by ./hatchery) and tiny hand-made ELF guests. */
public final class GuestFiles
{
    /** cli; hlt; jmp back to hlt: idles forever inside KVM_RUN with the in-kernel irqchip, never signals. */
    public static final byte[] IDLE_FOREVER = dev.hatchery.kernel.MinimalElf.IDLE_FOREVER;

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
        return dev.hatchery.kernel.MinimalElf.of(address, code);
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
