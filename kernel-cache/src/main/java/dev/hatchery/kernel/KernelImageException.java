package dev.hatchery.kernel;

/**
 * Bad kernel or initrd input: the message says what is wrong, where (the file name), the offending value,
 * and how to fix it, e.g. {@code kernel image is a 32-bit ELF (ELFCLASS32): file=vmlinux ei_class=1; ...}.
 */
public final class KernelImageException extends IllegalArgumentException
{
    private static final long serialVersionUID = 1L;

    public KernelImageException(final String message)
    {
        super(message);
    }

    public KernelImageException(final String message, final Throwable cause)
    {
        super(message, cause);
    }
}
