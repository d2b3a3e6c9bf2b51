package dev.hatchery.kvm;

import java.util.function.Consumer;

import com.sun.jna.LastErrorException;

/**
 * Guest low memory prepared once and shared by many VMs: a memfd written through a temporary shared
 * mapping, trimmed to its content and sealed against writes and resizing. VMs map it MAP_PRIVATE, so
 * each reads the same page-cache pages and copies a page only when its guest writes to it.
 * Closing the template closes the memfd; mappings VMs already made keep the file alive.
 */
public final class MemoryTemplate implements AutoCloseable
{
    private static final int MFD_CLOEXEC = 0x1;
    private static final int MFD_ALLOW_SEALING = 0x2;
    private static final int F_ADD_SEALS = 1033;
    private static final int F_GET_SEALS = 1034;
    private static final int F_SEAL_SEAL = 0x1;
    private static final int F_SEAL_SHRINK = 0x2;
    private static final int F_SEAL_GROW = 0x4;
    private static final int F_SEAL_WRITE = 0x8;
    public static final int SEALS = F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE;

    private final int fd;
    private final long size;
    private boolean closed;

    private MemoryTemplate(final int fd, final long size)
    {
        this.fd = fd;
        this.size = size;
    }

    /**
     * Builds a template: {@code writer} lays out memory as a guest of {@code ramSize} bytes must see it,
     * writing only below {@code contentSize}; everything from there up stays fresh per-VM memory.
     */
    public static MemoryTemplate create(final String name, final long ramSize, final long contentSize, final Consumer<GuestMemory> writer)
    {
        if (contentSize <= 0 || contentSize > ramSize || (contentSize & 0xfff) != 0)
        {
            throw new IllegalArgumentException("template content must be a positive multiple of 4096 within RAM: content_size="
                + contentSize + " ram_size=" + ramSize);
        }
        final int fd = memfdCreate(name);
        try
        {
            // Sized to the whole RAM while writing, so layout code sees the guest's real RAM size; the
            // file stays sparse, and is trimmed to the content once written.
            ftruncate(fd, ramSize, name);
            final long address = Syscalls.mmap(0, ramSize, LibC.PROT_READ | LibC.PROT_WRITE, LibC.MAP_SHARED, fd, 0);
            try (GuestMemory staging = GuestMemory.wrap(address, ramSize))
            {
                writer.accept(staging.limitedTo(contentSize));
            }
            ftruncate(fd, contentSize, name);
            addSeals(fd, name);
            return new MemoryTemplate(fd, contentSize);
        }
        catch (final RuntimeException ex)
        {
            Syscalls.close(fd);
            throw ex;
        }
    }

    private static int memfdCreate(final String name)
    {
        try
        {
            return LibC.memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING);
        }
        catch (final LastErrorException ex)
        {
            throw new NativeCallException("memfd_create", "name=" + name, ex.getErrorCode());
        }
    }

    private static void ftruncate(final int fd, final long length, final String name)
    {
        try
        {
            LibC.ftruncate(fd, length);
        }
        catch (final LastErrorException ex)
        {
            throw new NativeCallException("ftruncate", "memfd=" + name + " length=" + length, ex.getErrorCode());
        }
    }

    private static void addSeals(final int fd, final String name)
    {
        try
        {
            LibC.fcntl(fd, F_ADD_SEALS, SEALS);
        }
        catch (final LastErrorException ex)
        {
            throw new NativeCallException("fcntl(F_ADD_SEALS)", "memfd=" + name + " seals=0x" + Integer.toHexString(SEALS), ex.getErrorCode());
        }
    }

    /** Bytes of guest memory the template covers, from guest-physical 0. */
    public long size()
    {
        return size;
    }

    /** The seals in force (F_GET_SEALS), for checks and diagnostics. */
    public int seals()
    {
        try
        {
            return LibC.fcntl(fd, F_GET_SEALS, 0);
        }
        catch (final LastErrorException ex)
        {
            throw new NativeCallException("fcntl(F_GET_SEALS)", "fd=" + fd, ex.getErrorCode());
        }
    }

    int fd()
    {
        if (closed)
        {
            throw new IllegalStateException("memory template is closed");
        }
        return fd;
    }

    @Override
    public synchronized void close()
    {
        if (!closed)
        {
            closed = true;
            Syscalls.close(fd);
        }
    }
}
