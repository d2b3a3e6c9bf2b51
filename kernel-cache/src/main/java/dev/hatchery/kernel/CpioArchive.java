package dev.hatchery.kernel;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Objects;

/**
 * Adds files to an initramfs without unpacking it: Linux unpacks every cpio archive it finds in the initrd, one after
 * the other, so an archive of the new files appended to the built one puts them into the guest's root. Writes the
 * "newc" format (ASCII hex headers, 4-byte alignment) the kernel reads, with fixed timestamps and owners, so the
 * same inputs give the same bytes.
 */
public final class CpioArchive
{
    private static final String MAGIC = "070701";
    private static final int REGULAR_FILE = 0100000;
    private static final String TRAILER = "TRAILER!!!";

    private CpioArchive()
    {
    }

    /** {@code base} (a whole initramfs) followed by an archive holding one file at {@code name} (no leading slash). */
    public static byte[] appendFile(final byte[] base, final String name, final byte[] content, final int permissions)
    {
        Objects.requireNonNull(base, "base");
        Objects.requireNonNull(content, "content");
        if (name.isEmpty() || name.startsWith("/") || name.contains("\0") || name.contains(".."))
        {
            throw new IllegalArgumentException("a file in the initramfs needs a relative path without '..': " + name);
        }
        final ByteArrayOutputStream out = new ByteArrayOutputStream(base.length + content.length + 512);
        out.writeBytes(base);
        pad(out);
        entry(out, 1, REGULAR_FILE | (permissions & 07777), name, content);
        entry(out, 0, 0, TRAILER, new byte[0]);
        return out.toByteArray();
    }

    private static void entry(final ByteArrayOutputStream out, final int inode, final int mode, final String name, final byte[] content)
    {
        final byte[] nameBytes = (name + "\0").getBytes(StandardCharsets.US_ASCII);
        final StringBuilder header = new StringBuilder(MAGIC);
        // ino, mode, uid, gid, nlink, mtime, filesize, devmajor, devminor, rdevmajor, rdevminor, namesize, check
        for (final long field : new long[] {inode, mode, 0, 0, 1, 0, content.length, 0, 0, 0, 0, nameBytes.length, 0})
        {
            header.append(String.format("%08x", field));
        }
        out.writeBytes(header.toString().getBytes(StandardCharsets.US_ASCII));
        out.writeBytes(nameBytes);
        pad(out);
        out.writeBytes(content);
        pad(out);
    }

    /** Zeros up to the next multiple of 4 bytes, where newc starts each header and each file's data. */
    private static void pad(final ByteArrayOutputStream out)
    {
        while (out.size() % 4 != 0)
        {
            out.write(0);
        }
    }
}
