package dev.hatchery.vm;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Where this process's CPU went between two snapshots, per thread, from /proc/self/task/N/schedstat: time on a CPU,
 * time runnable but waiting for one, and how many times it was put on one. Tells a measurement whose threads a busy
 * lab CPU delayed (the wait) from threads that had work of their own (the CPU time).
 */
record ThreadTimes(Map<Long, Sample> threads, long takenNanos)
{
    record Sample(String name, long cpuNanos, long waitNanos, long slices)
    {
    }

    /** One thread's share of an interval. */
    record Delta(long tid, String name, double cpuMs, double waitMs, long slices)
    {
        @Override
        public String toString()
        {
            return String.format(Locale.ROOT, "%s:cpu=%.0f,wait=%.0f,slices=%d", name.replace(' ', '_'), cpuMs, waitMs, slices);
        }
    }

    static ThreadTimes now()
    {
        final Map<Long, Sample> threads = new HashMap<>();
        try (Stream<Path> tasks = Files.list(Path.of("/proc/self/task")))
        {
            for (final Path task : tasks.toList())
            {
                try
                {
                    final String[] stat = Files.readString(task.resolve("schedstat")).trim().split("\\s+");
                    threads.put(Long.parseLong(task.getFileName().toString()), new Sample(Files.readString(task.resolve("comm")).trim(),
                        Long.parseLong(stat[0]), Long.parseLong(stat[1]), Long.parseLong(stat[2])));
                }
                catch (final IOException ex)
                {
                    // The thread ended while it was being read: it is not in this snapshot.
                }
            }
        }
        catch (final IOException ex)
        {
            throw new java.io.UncheckedIOException(ex);
        }
        return new ThreadTimes(threads, System.nanoTime());
    }

    /** The threads that ran or waited at least {@code minMs} since {@code before}, busiest first. */
    List<Delta> since(final ThreadTimes before, final double minMs)
    {
        final List<Delta> deltas = new ArrayList<>();
        threads.forEach((tid, now) ->
        {
            final Sample then = before.threads.getOrDefault(tid, new Sample(now.name(), 0, 0, 0));
            final Delta delta = new Delta(tid, now.name(), (now.cpuNanos() - then.cpuNanos()) / 1e6, (now.waitNanos() - then.waitNanos()) / 1e6,
                now.slices() - then.slices());
            if (delta.cpuMs() >= minMs || delta.waitMs() >= minMs)
            {
                deltas.add(delta);
            }
        });
        deltas.sort((x, y) -> Double.compare(y.cpuMs(), x.cpuMs()));
        return deltas;
    }

    /** The threads whose name starts with {@code prefix}. */
    List<Long> tidsNamed(final String prefix)
    {
        return threads.entrySet().stream().filter(thread -> thread.getValue().name().startsWith(prefix)).map(Map.Entry::getKey).toList();
    }

    double millisSince(final ThreadTimes before)
    {
        return (takenNanos - before.takenNanos) / 1e6;
    }
}
