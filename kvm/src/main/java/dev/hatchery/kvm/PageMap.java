package dev.hatchery.kvm;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

import com.sun.jna.LastErrorException;

import org.agrona.concurrent.UnsafeBuffer;

/**
 * This process's /proc/self/pagemap: one 64-bit entry per virtual page saying whether the page is present and
 * whether it is a file page (or shared), without needing any privilege (only page frame numbers do). Used to
 * count the pages a guest made its own: present and private, i.e. written (copy-on-write copies of template
 * pages, touched anonymous RAM). One reader per thread: its buffer is its own.
 */
public final class PageMap implements AutoCloseable
{
    private static final String PATH = "/proc/self/pagemap";
    private static final int ENTRY_LENGTH = 8;
    private static final int PAGE_SIZE = 4096;
    private static final long PRESENT = 1L << 63;
    private static final long FILE_OR_SHARED = 1L << 61;
    /** Entries read per pread: 32 KiB, 128 MiB of address space. */
    private static final int BATCH = 4096;

    private final int fd;
    private final UnsafeBuffer entries = new UnsafeBuffer(ByteBuffer.allocateDirect(BATCH * ENTRY_LENGTH).order(ByteOrder.nativeOrder()));
    private boolean closed;

    private PageMap(final int fd)
    {
        this.fd = fd;
    }

    public static PageMap open()
    {
        return new PageMap(Syscalls.open(PATH, LibC.O_RDONLY));
    }

    /** Pages of {@code memory} that are present and private to this process: what its guest wrote. */
    public long privatePages(final GuestMemory memory)
    {
        return privatePages(memory.hostAddress(), memory.size());
    }

    long privatePages(final long address, final long length)
    {
        long count = 0;
        final long firstPage = address / PAGE_SIZE;
        final long pages = length / PAGE_SIZE;
        for (long done = 0; done < pages;)
        {
            final int batch = (int)Math.min(BATCH, pages - done);
            final long bytes;
            try
            {
                bytes = LibC.pread(fd, entries.addressOffset(), (long)batch * ENTRY_LENGTH, (firstPage + done) * ENTRY_LENGTH);
            }
            catch (final LastErrorException ex)
            {
                throw new NativeCallException("pread", "path=" + PATH + " page=0x" + Long.toHexString(firstPage + done), ex.getErrorCode());
            }
            final int read = (int)(bytes / ENTRY_LENGTH);
            if (read == 0)
            {
                break;
            }
            for (int i = 0; i < read; i++)
            {
                final long entry = entries.getLong(i * ENTRY_LENGTH);
                if ((entry & PRESENT) != 0 && (entry & FILE_OR_SHARED) == 0)
                {
                    count++;
                }
            }
            done += read;
        }
        return count;
    }

    @Override
    public void close()
    {
        if (!closed)
        {
            closed = true;
            Syscalls.close(fd);
        }
    }
}
