package dev.hatchery.vm;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

/**
 * Counts of what this process holds, read from /proc, to prove VMs release everything. {@code threads} leaves out the
 * threads the JVM starts and ends on its own schedule (JIT compiler threads, the process reaper, the common pool): a
 * suite run of 2026-12-06 found 16 threads for a baseline of 15 twice, with the same names before and after, because a
 * compiler thread had started between the baseline count and the list of names.
 */
record ProcessResources(long fds, long threads, long mappings)
{
    /** Thread names (as /proc shows them, cut to 15 characters) of threads the JVM starts and ends by itself. */
    private static final java.util.List<String> JVM_MANAGED = java.util.List.of("C1 CompilerThre", "C2 CompilerThre",
        "process reaper", "ForkJoinPool.co");

    static ProcessResources now()
    {
        return new ProcessResources(count(Path.of("/proc/self/fd")), serviceThreads(), lines(Path.of("/proc/self/maps")));
    }

    /** Threads of this process the JVM does not start and end on its own (see the class note). */
    static long serviceThreads()
    {
        return threadNames().stream().filter(name -> JVM_MANAGED.stream().noneMatch(name::startsWith)).count();
    }

    /**
     * A VM is released just after its result is reported, on a teardown thread, and parked threads end after their host
     * closes: waits until the fds are back at {@code target} and the threads at most its (the JVM's own threads may end
     * meanwhile; its mappings move on their own, so they are not waited for), or, without a target, until the counts
     * stop changing; for up to 10 seconds, then returns what they are.
     */
    static ProcessResources settled(final ProcessResources target) throws InterruptedException
    {
        ProcessResources previous = now();
        for (int i = 0; i < 200; i++)
        {
            Thread.sleep(50);
            final ProcessResources current = now();
            if (target != null ? current.fds() == target.fds() && current.threads() <= target.threads() : current.equals(previous))
            {
                return current;
            }
            previous = current;
        }
        return previous;
    }

    /**
     * Threads the VM host starts (vCPU threads, shell fillers, teardown, boot watchdog, network loops), by name: the
     * process's other threads (JIT compilers, the common pool) come and go on their own during a long test.
     */
    static long hostThreads()
    {
        return Thread.getAllStackTraces().keySet().stream().map(Thread::getName)
            .filter(name -> name.startsWith("vcpu-") || name.startsWith("vm-") || name.startsWith("net-")).count();
    }

    /** Every thread's name as the kernel knows it (/proc/self/task/N/comm), sorted: names the thread a failed count found. */
    static java.util.List<String> threadNames()
    {
        try (Stream<Path> tasks = Files.list(Path.of("/proc/self/task")))
        {
            return tasks.map(task ->
            {
                try
                {
                    return Files.readString(task.resolve("comm")).trim();
                }
                catch (final IOException ex)
                {
                    return "(ended)";
                }
            }).sorted().toList();
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }

    /** What each open file descriptor points at ("fd -> target"), sorted: names the descriptor a failed count comparison found. */
    static java.util.List<String> fdTargets()
    {
        try (Stream<Path> entries = Files.list(Path.of("/proc/self/fd")))
        {
            return entries.map(fd ->
            {
                try
                {
                    return fd.getFileName() + " -> " + Files.readSymbolicLink(fd);
                }
                catch (final IOException ex)
                {
                    return fd.getFileName() + " -> (closed)";
                }
            }).sorted().toList();
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }

    /** Mappings of VMs only: KVM's vCPU pages (anon_inode:kvm-vcpu), kernel templates (memfd:hatchery-*) and guest RAM of {@code ramBytes}. */
    static long vmMappings(final long ramBytes)
    {
        try (Stream<String> lines = Files.lines(Path.of("/proc/self/maps")))
        {
            return lines.filter(line -> line.contains("anon_inode:kvm") || line.contains("memfd:hatchery") || size(line) == ramBytes).count();
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }

    private static long size(final String line)
    {
        final String[] range = line.substring(0, line.indexOf(' ')).split("-");
        return Long.parseUnsignedLong(range[1], 16) - Long.parseUnsignedLong(range[0], 16);
    }

    private static long count(final Path dir)
    {
        try (Stream<Path> entries = Files.list(dir))
        {
            return entries.count();
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }

    private static long lines(final Path file)
    {
        try (Stream<String> lines = Files.lines(file))
        {
            return lines.count();
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }
}
