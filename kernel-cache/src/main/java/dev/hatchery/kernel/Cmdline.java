package dev.hatchery.kernel;

import static dev.hatchery.kernel.Hex.hex;

import java.nio.charset.StandardCharsets;
import java.util.Objects;

import org.agrona.concurrent.UnsafeBuffer;

import dev.hatchery.kvm.GuestMemory;

/** The kernel command line: checked before anything is written, then stored NUL-terminated at CMDLINE_ADDRESS. */
public final class Cmdline
{
    private static final char FIRST_PRINTABLE = 0x20;
    private static final char LAST_PRINTABLE = 0x7e;

    private Cmdline()
    {
    }

    /**
     * Accepts printable ASCII that fits {@link BootLayout#CMDLINE_MAX_BYTES} with its NUL. Anything else would be
     * cut off or misparsed by the kernel without a word, so it is rejected here with the facts.
     */
    public static void validate(final String cmdline)
    {
        Objects.requireNonNull(cmdline, "cmdline");
        if (cmdline.length() + 1 > BootLayout.CMDLINE_MAX_BYTES)
        {
            throw new IllegalArgumentException("kernel command line is too long: length=" + cmdline.length() + " limit="
                + (BootLayout.CMDLINE_MAX_BYTES - 1) + " (" + BootLayout.CMDLINE_MAX_BYTES
                + " bytes including the terminating NUL); shorten it");
        }
        for (int i = 0; i < cmdline.length(); i++)
        {
            final char c = cmdline.charAt(i);
            if (c < FIRST_PRINTABLE || c > LAST_PRINTABLE)
            {
                throw new IllegalArgumentException("kernel command line has a character that is not printable ASCII: index=" + i
                    + " char=" + hex(c) + "; use characters 0x20..0x7e only (separate parameters with spaces)");
            }
        }
    }

    /** Writes a command line over the one already laid out and updates boot_params.hdr.cmdline_size to match. */
    static void replace(final GuestMemory memory, final String cmdline)
    {
        final int size = write(memory, cmdline);
        memory.view(BootLayout.ZERO_PAGE_ADDRESS + BootParams.CMDLINE_SIZE_OFFSET, 4).putInt(0, size, java.nio.ByteOrder.LITTLE_ENDIAN);
    }

    /** Validates, writes the bytes and the NUL, and returns the bytes written (the NUL included). */
    static int write(final GuestMemory memory, final String cmdline)
    {
        validate(cmdline);
        final byte[] bytes = cmdline.getBytes(StandardCharsets.US_ASCII);
        final int size = bytes.length + 1;
        final UnsafeBuffer buffer = memory.view(BootLayout.CMDLINE_ADDRESS, size);
        buffer.putBytes(0, bytes);
        buffer.putByte(bytes.length, (byte)0);
        return size;
    }
}
