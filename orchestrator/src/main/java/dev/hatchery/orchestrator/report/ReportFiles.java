package dev.hatchery.orchestrator.report;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/** Writes report files so a reader never sees half a report: a temp file beside the target, then a move. */
final class ReportFiles
{
    private ReportFiles()
    {
    }

    static void writeAtomically(final Path path, final String text) throws IOException
    {
        final Path target = path.toAbsolutePath();
        final Path dir = target.getParent();
        Path temp = null;
        try
        {
            Files.createDirectories(dir);
            temp = Files.createTempFile(dir, "." + target.getFileName(), ".tmp");
            Files.writeString(temp, text, StandardCharsets.UTF_8);
            move(temp, target);
        }
        catch (final IOException ex)
        {
            deleteQuietly(temp);
            throw new IOException("cannot write report: path=" + path + " (" + ex + ")", ex);
        }
    }

    private static void move(final Path temp, final Path target) throws IOException
    {
        try
        {
            Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        }
        catch (final AtomicMoveNotSupportedException ex)
        {
            Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    private static void deleteQuietly(final Path temp)
    {
        if (temp == null)
        {
            return;
        }
        try
        {
            Files.deleteIfExists(temp);
        }
        catch (final IOException ignored)
        {
            // The original failure is the one worth reporting.
        }
    }
}
