package dev.hatchery.vm;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;

/**
 * One process per tap prefix. A tap pool deletes every tap named {@code <prefix><n>} when it starts (a crashed run's
 * leftovers) and when it closes, so two processes sharing a prefix would delete each other's taps: the pool holds
 * this lock (an fcntl lock on {@code <dir>/taps-<prefix>.lock}) while it lives. The kernel drops it when the holder
 * exits, however it exits (SIGKILL included), so a crashed run never blocks the next one. The file names the holder.
 */
final class TapPrefixLock implements AutoCloseable
{
    /** Where the locks live: a tmpfs, so a reboot clears them along with the taps. */
    static final Path DEFAULT_DIR = Path.of("/run/hatchery");

    private final FileChannel channel;
    private final FileLock lock;

    private TapPrefixLock(final FileChannel channel, final FileLock lock)
    {
        this.channel = channel;
        this.lock = lock;
    }

    /** Takes the prefix's lock or fails, naming the process that holds it and the fix. */
    static TapPrefixLock acquire(final Path dir, final String prefix)
    {
        final Path file = dir.resolve("taps-" + prefix + ".lock");
        final FileChannel channel;
        try
        {
            Files.createDirectories(dir);
            channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
        }
        catch (final IOException ex)
        {
            throw new IllegalStateException("cannot open the tap prefix lock " + file + ": " + ex.getMessage()
                + " (the tap pool needs root, like the taps themselves)", ex);
        }
        try
        {
            final FileLock lock = channel.tryLock();
            if (lock == null)
            {
                final String holder = holder(channel);
                channel.close();
                throw new TapPrefixInUseException("tap prefix '" + prefix + "' is in use by another process (" + holder + "; lock " + file
                    + "): its taps would be deleted under it. Stop that process, or give this one another prefix (hatchery.taps.prefix)");
            }
            channel.truncate(0);
            channel.write(ByteBuffer.wrap(("pid " + ProcessHandle.current().pid() + ", since " + Instant.now() + "\n")
                .getBytes(StandardCharsets.US_ASCII)), 0);
            channel.force(false);
            return new TapPrefixLock(channel, lock);
        }
        catch (final OverlappingFileLockException ex)
        {
            closeQuietly(channel);
            throw new TapPrefixInUseException("tap prefix '" + prefix + "' is in use by another tap pool of this process (lock " + file
                + "): close it first, or give this one another prefix", ex);
        }
        catch (final IOException ex)
        {
            closeQuietly(channel);
            throw new IllegalStateException("cannot lock the tap prefix lock " + file + ": " + ex.getMessage(), ex);
        }
    }

    private static String holder(final FileChannel channel) throws IOException
    {
        final ByteBuffer buffer = ByteBuffer.allocate(128);
        channel.read(buffer, 0);
        final String text = new String(buffer.array(), 0, buffer.position(), StandardCharsets.US_ASCII).strip();
        return text.isEmpty() ? "holder unknown" : text;
    }

    private static void closeQuietly(final FileChannel channel)
    {
        try
        {
            channel.close();
        }
        catch (final IOException ignored)
        {
            // Already failing with the reason that matters.
        }
    }

    /** Releases the lock. The file stays: deleting it would let a late opener lock a file no one else sees. */
    @Override
    public void close()
    {
        try
        {
            lock.release();
        }
        catch (final IOException ignored)
        {
            // Closing the channel below releases it too.
        }
        closeQuietly(channel);
    }
}
