package dev.hatchery.orchestrator;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

/**
 * Open fds, threads and mappings of this process, read once they stop changing. Sockets are not counted: no VM owns one,
 * and HTTP connections (a test's client pool, the server's side of it) open and close on their own schedule, idle
 * timeouts included, which made a test's before/after fd counts differ by a connection.
 */
public record ProcessSnapshot(long fds, long guestMappings, long vcpuThreads)
{
    /** Guest RAM is one 128 MiB mapping per VM (the default size); templates are mapped from memfds named hatchery-*. */
    private static final long GUEST_RAM_BYTES = 128L << 20;

    public static ProcessSnapshot now() throws IOException
    {
        try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd")); Stream<String> maps = Files.lines(Path.of("/proc/self/maps")))
        {
            final long guest = maps.filter(ProcessSnapshot::isGuestMapping).count();
            final long vcpus = Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().startsWith("vcpu-")).count();
            return new ProcessSnapshot(fds.filter(fd -> !isSocket(fd)).count(), guest, vcpus);
        }
    }

    private static boolean isSocket(final Path fd)
    {
        try
        {
            return Files.readSymbolicLink(fd).toString().startsWith("socket:");
        }
        catch (final IOException ex)
        {
            return false; // closed meanwhile (the listing's own fd among them): counted as it was listed
        }
    }

    private static boolean isGuestMapping(final String line)
    {
        final String[] range = line.substring(0, line.indexOf(' ')).split("-");
        return line.contains("memfd:hatchery-") || Long.parseUnsignedLong(range[1], 16) - Long.parseUnsignedLong(range[0], 16) == GUEST_RAM_BYTES;
    }

    public static ProcessSnapshot settled() throws Exception
    {
        return settledAt(null);
    }

    /**
     * Waits for the counts to reach {@code target}, up to 40 s (ended VMs are destroyed on teardown threads, and destroying a
     * KVM VM took tens of seconds in the nested lab; under the lab's 60 s stall watch, which a test idle that long with VMs
     * alive would trip), or, when null, up to 10 s for them to stop changing.
     */
    public static ProcessSnapshot settledAt(final ProcessSnapshot target) throws Exception
    {
        ProcessSnapshot previous = now();
        for (int i = 0; i < (target == null ? 100 : 400); i++)
        {
            Thread.sleep(100);
            final ProcessSnapshot current = now();
            if (target != null ? current.equals(target) : current.equals(previous))
            {
                return current;
            }
            previous = current;
        }
        return previous;
    }
}
