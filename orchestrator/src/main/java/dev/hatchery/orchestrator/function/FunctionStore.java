package dev.hatchery.orchestrator.function;

import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.Properties;

/**
 * Deployed functions on disk, so that a function deployed by one command (or before a restart) can be invoked by the
 * next: one folder per function, {@code <dir>/<name>/}, holding {@code handler}, the initramfs built from it
 * ({@code initramfs-<sha256 prefix>.cpio}, named by its content, so a template built from an older one is never
 * confused with it) and {@code function.properties}, written last: a function exists once its properties do.
 * Every file is written to a temporary name and moved into place.
 */
final class FunctionStore
{
    private static final String PROPERTIES = "function.properties";
    private static final String HANDLER = "handler";

    /** A stored function: what was deployed, and where its files are. */
    record Stored(String name, Path handler, int memMib, Duration timeout, int payloadLimit, String handlerSha256, long handlerBytes,
                  Instant deployedAt)
    {
    }

    private final Path dir;

    FunctionStore(final Path dir)
    {
        this.dir = dir;
    }

    Path dir()
    {
        return dir;
    }

    /** Writes the initramfs for a function (before its template is made from it) and returns its path. */
    Path writeInitramfs(final String name, final byte[] initramfs)
    {
        final Path folder = dir.resolve(name);
        final Path path = folder.resolve("initramfs-" + sha256(initramfs).substring(0, 16) + ".cpio");
        write(path, initramfs);
        return path;
    }

    /** Commits a deployment: its handler and properties (the initramfs is written already); older initramfs files go. */
    Stored commit(final FunctionDeployment deployment, final Path initramfs, final Instant deployedAt)
    {
        final Path folder = dir.resolve(deployment.name());
        write(folder.resolve(HANDLER), deployment.handler());
        final Properties properties = new Properties();
        properties.setProperty("memMib", Integer.toString(deployment.memMib()));
        properties.setProperty("timeoutMs", Long.toString(deployment.timeout().toMillis()));
        properties.setProperty("payloadLimit", Integer.toString(deployment.payloadLimit()));
        properties.setProperty("handlerSha256", sha256(deployment.handler()));
        properties.setProperty("handlerBytes", Integer.toString(deployment.handler().length));
        properties.setProperty("deployedAt", deployedAt.toString());
        final Path temporary = folder.resolve(PROPERTIES + ".tmp");
        try (Writer out = Files.newBufferedWriter(temporary, StandardCharsets.UTF_8))
        {
            properties.store(out, "a Hatchery function: " + deployment.name());
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("cannot write " + temporary + ": " + ex.getMessage(), ex);
        }
        move(temporary, folder.resolve(PROPERTIES));
        removeOtherInitramfs(folder, initramfs);
        return load(deployment.name()).orElseThrow();
    }

    /** The stored function, or empty when none of that name is deployed. */
    Optional<Stored> load(final String name)
    {
        final Path folder = dir.resolve(name);
        final Path file = folder.resolve(PROPERTIES);
        if (!Files.isRegularFile(file))
        {
            return Optional.empty();
        }
        final Properties properties = new Properties();
        try (Reader in = Files.newBufferedReader(file, StandardCharsets.UTF_8))
        {
            properties.load(in);
            return Optional.of(new Stored(name, folder.resolve(HANDLER), Integer.parseInt(properties.getProperty("memMib")),
                Duration.ofMillis(Long.parseLong(properties.getProperty("timeoutMs"))), Integer.parseInt(properties.getProperty("payloadLimit")),
                properties.getProperty("handlerSha256"), Long.parseLong(properties.getProperty("handlerBytes")),
                Instant.parse(properties.getProperty("deployedAt"))));
        }
        catch (final IOException | RuntimeException ex)
        {
            throw new IllegalStateException("the stored function " + name + " is damaged (" + file + ": " + ex.getMessage()
                + "); deploy it again or delete " + folder, ex);
        }
    }

    /** Every stored function's name, sorted. */
    List<String> names()
    {
        final List<String> names = new ArrayList<>();
        if (!Files.isDirectory(dir))
        {
            return names;
        }
        try (DirectoryStream<Path> folders = Files.newDirectoryStream(dir))
        {
            for (final Path folder : folders)
            {
                final String name = folder.getFileName().toString();
                if (FunctionDeployment.NAME.matcher(name).matches() && Files.isRegularFile(folder.resolve(PROPERTIES)))
                {
                    names.add(name);
                }
            }
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("cannot list the functions in " + dir + ": " + ex.getMessage(), ex);
        }
        names.sort(null);
        return names;
    }

    /** Removes a function's files, its properties first (then it no longer exists, even if the rest cannot go). */
    boolean delete(final String name)
    {
        final Path folder = dir.resolve(name);
        try
        {
            final boolean existed = Files.deleteIfExists(folder.resolve(PROPERTIES));
            deleteFolder(folder);
            return existed;
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("cannot delete the function " + name + " in " + folder + ": " + ex.getMessage(), ex);
        }
    }

    /** Removes a file written for a deployment that did not complete. */
    void discard(final Path file)
    {
        try
        {
            Files.deleteIfExists(file);
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("cannot remove " + file + ": " + ex.getMessage(), ex);
        }
    }

    private static void deleteFolder(final Path folder) throws IOException
    {
        if (!Files.isDirectory(folder))
        {
            return;
        }
        try (DirectoryStream<Path> files = Files.newDirectoryStream(folder))
        {
            for (final Path file : files)
            {
                Files.deleteIfExists(file);
            }
        }
        Files.deleteIfExists(folder);
    }

    private static void removeOtherInitramfs(final Path folder, final Path keep)
    {
        try (DirectoryStream<Path> files = Files.newDirectoryStream(folder, "initramfs-*.cpio"))
        {
            for (final Path file : files)
            {
                if (!file.equals(keep))
                {
                    Files.deleteIfExists(file);
                }
            }
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("cannot tidy " + folder + ": " + ex.getMessage(), ex);
        }
    }

    private static void write(final Path path, final byte[] bytes)
    {
        final Path temporary = path.resolveSibling(path.getFileName() + ".tmp");
        try
        {
            Files.createDirectories(path.getParent());
            Files.write(temporary, bytes);
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("cannot write " + path + ": " + ex.getMessage()
                + "; check that the functions folder (hatchery.functions.dir) is writable", ex);
        }
        move(temporary, path);
    }

    private static void move(final Path from, final Path to)
    {
        try
        {
            try
            {
                Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            }
            catch (final AtomicMoveNotSupportedException ex)
            {
                Files.move(from, to, StandardCopyOption.REPLACE_EXISTING);
            }
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("cannot move " + from + " to " + to + ": " + ex.getMessage(), ex);
        }
    }

    static String sha256(final byte[] bytes)
    {
        try
        {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        }
        catch (final NoSuchAlgorithmException ex)
        {
            throw new IllegalStateException("SHA-256 is missing from this JVM", ex);
        }
    }
}
