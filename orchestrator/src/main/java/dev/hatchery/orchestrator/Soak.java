package dev.hatchery.orchestrator;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.stream.Stream;

import dev.hatchery.config.GuestPhysicalMap;
import dev.hatchery.config.VmSpec;
import dev.hatchery.kvm.NetDevice;
import dev.hatchery.orchestrator.report.BatchReport;

/**
 * The fault soak: one batch per {@link SoakGuest}, all at once, sized from a total; then whether every VM was accounted
 * for exactly once with its guest's outcome, whether every tap came back to the pool, and whether the process holds what
 * it held before (open fds, threads, memory mappings, taps on the host). A running service keeps what serves the next
 * VMs (shells per shape, parked vCPU threads, the tap pool), so the soak runs in a service of its own and the process
 * is compared once that service is closed, with a first small soak in a service before it so that what a process
 * makes once (JIT and JNA threads, loaded classes' mappings) is in the baseline.
 */
final class Soak
{
    /** What ends the silent and spinning guests; short, so that the soak does not wait on them. */
    private static final Duration BOOT_TIMEOUT = Duration.ofSeconds(3);
    private static final int MEM_MIB = 32;
    private static final int FLOOD_CONSOLE_BYTES = 4096;
    private static final int FLAT_CONCURRENCY = 16;
    /** Linux guests two at a time: more stalled nested KVM in the emulated lab (BatchCommand). */
    private static final int LINUX_CONCURRENCY = 2;

    /** One guest's batch: how many, how it ended, and whether that is what this guest must end as. */
    record Row(SoakGuest guest, int count, BatchReport report, boolean accountedRight)
    {
    }

    /**
     * What the process holds of the service's: every open fd, the service's own threads (vCPU, network loop, shell fill,
     * teardown: the JVM's pools and JIT come and go by themselves), the mappings of VMs (KVM's vCPU pages, kernel
     * templates, guest RAM of the soak's sizes), and the taps of its prefix on the host.
     */
    record Holdings(long fds, long threads, long mappings, int taps)
    {
    }

    private static final java.util.regex.Pattern SERVICE_THREAD = java.util.regex.Pattern.compile("(vcpu|net|vm|shell)-.*");

    /** {@code tapsBack}: every tap was back in the pool once the VMs ended (before the service closed). */
    record Result(List<Row> rows, boolean tapsBack, Holdings before, Holdings after, long wallMillis)
    {
        boolean passed()
        {
            return rows.stream().allMatch(Row::accountedRight) && tapsBack && before.equals(after);
        }
    }

    private Soak()
    {
    }

    /**
     * How many VMs of each guest a soak of {@code total} runs: each guest's share, at least one; good flat guests take the
     * rest. Guests in {@code leftOut} are not run (the suite's soak: see SoakIT).
     */
    static Map<SoakGuest, Integer> mix(final int total, final Set<SoakGuest> leftOut)
    {
        final Map<SoakGuest, Integer> counts = new EnumMap<>(SoakGuest.class);
        int others = 0;
        for (final SoakGuest guest : SoakGuest.values())
        {
            if (guest != SoakGuest.GOOD_FLAT && !leftOut.contains(guest))
            {
                final int count = Math.max(1, total * guest.percent() / 100);
                counts.put(guest, count);
                others += count;
            }
        }
        if (total - others < 1)
        {
            throw new IllegalArgumentException("a soak needs at least " + (others + 1) + " VMs (one of each guest): --count " + total);
        }
        counts.put(SoakGuest.GOOD_FLAT, total - others);
        return counts;
    }

    /** Warm-up soak, baseline, the soak in a service of its own, the process compared once that service is closed. */
    static Result run(final Supplier<Hatchery> service, final String tapPrefix, final int total, final Set<SoakGuest> leftOut)
        throws Exception
    {
        final int guests = mix(total, leftOut).size();
        try (Hatchery warmUp = service.get())
        {
            runIn(warmUp, guests, leftOut);
        }
        final Holdings before = holdings(tapPrefix, null);
        final long start = System.nanoTime();
        final List<Row> rows;
        final boolean tapsBack;
        try (Hatchery hatchery = service.get())
        {
            rows = runIn(hatchery, total, leftOut);
            tapsBack = allTapsBack(hatchery);
        }
        final long wallMillis = (System.nanoTime() - start) / 1_000_000;
        return new Result(rows, tapsBack, before, holdings(tapPrefix, before), wallMillis);
    }

    private static List<Row> runIn(final Hatchery hatchery, final int total, final Set<SoakGuest> leftOut) throws Exception
    {
        final Map<SoakGuest, Integer> counts = mix(total, leftOut);
        final Path dir = Files.createTempDirectory("hatchery-soak");
        try
        {
            final Map<SoakGuest, CompletableFuture<BatchReport>> reports = new EnumMap<>(SoakGuest.class);
            for (final SoakGuest guest : counts.keySet())
            {
                final int count = counts.get(guest);
                final BatchRequest request = new BatchRequest(guest.name().toLowerCase(java.util.Locale.ROOT), spec(hatchery, guest, dir), count,
                    Math.min(count, guest == SoakGuest.GOOD_LINUX ? LINUX_CONCURRENCY : FLAT_CONCURRENCY), true);
                reports.put(guest, hatchery.submit(request).toCompletableFuture().thenCompose(handle -> handle.report()).toCompletableFuture());
            }
            final List<Row> rows = new ArrayList<>();
            for (final SoakGuest guest : counts.keySet())
            {
                final BatchReport report = reports.get(guest).get(30, TimeUnit.MINUTES);
                rows.add(new Row(guest, counts.get(guest), report, guest.accountedRight(report, counts.get(guest))));
            }
            return rows;
        }
        finally
        {
            try (Stream<Path> files = Files.list(dir))
            {
                for (final Path file : files.toList())
                {
                    Files.deleteIfExists(file);
                }
            }
            Files.deleteIfExists(dir);
        }
    }

    /** Leases go back when the VMs are released, just after their results: waits for them, up to 30 s. */
    private static boolean allTapsBack(final Hatchery hatchery) throws InterruptedException
    {
        for (int i = 0; i < 300 && hatchery.freeTaps() != hatchery.tapPoolSize(); i++)
        {
            Thread.sleep(100);
        }
        return hatchery.freeTaps() == hatchery.tapPoolSize();
    }

    private static boolean isGuestRam(final String line)
    {
        final String[] range = line.substring(0, line.indexOf(' ')).split("-");
        final long size = Long.parseUnsignedLong(range[1], 16) - Long.parseUnsignedLong(range[0], 16);
        return size == (long)MEM_MIB << 20;
    }

    private static VmSpec spec(final Hatchery hatchery, final SoakGuest guest, final Path dir)
    {
        return switch (guest)
        {
            case GOOD_FLAT -> hatchery.catalog().specFor(KernelCatalog.FLAT, false).memMib(MEM_MIB).conclude();
            case GOOD_LINUX -> hatchery.catalog().specFor(KernelCatalog.LINUX, false).bootTimeout(Duration.ofMinutes(5)).conclude();
            // The flood's 20 000 port writes are as many exits (slow in the emulated lab): it gets time to finish, and a
            // console smaller than what it writes, so that only the tail is kept.
            case SERIAL_FLOOD -> VmSpec.builder().kernel(write(dir, guest)).memMib(MEM_MIB).bootTimeout(Duration.ofMinutes(5))
                .consoleBytes(FLOOD_CONSOLE_BYTES).tripleFaultIsStop(false).conclude();
            default -> VmSpec.builder().kernel(write(dir, guest)).memMib(MEM_MIB).bootTimeout(BOOT_TIMEOUT).tripleFaultIsStop(false)
                .network(guest == SoakGuest.HOSTILE_VIRTQUEUE).conclude();
        };
    }

    private static Path write(final Path dir, final SoakGuest guest)
    {
        try
        {
            return Files.write(dir.resolve(guest.name().toLowerCase(java.util.Locale.ROOT) + ".elf"),
                guest.image(GuestPhysicalMap.DEFAULT_BOOT_DEVICE_ADDRESS));
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }

    /** Read once the counts settle (a closed service's threads end a little later): until they equal {@code target}, or stop changing. */
    private static Holdings holdings(final String tapPrefix, final Holdings target) throws InterruptedException
    {
        Holdings previous = now(tapPrefix);
        for (int i = 0; i < 300; i++)
        {
            Thread.sleep(100);
            final Holdings current = now(tapPrefix);
            if (target != null ? current.equals(target) : current.equals(previous) && i >= 10)
            {
                return current;
            }
            previous = current;
        }
        return previous;
    }

    private static Holdings now(final String tapPrefix)
    {
        final long threads = Thread.getAllStackTraces().keySet().stream()
            .filter(thread -> thread.isAlive() && SERVICE_THREAD.matcher(thread.getName()).matches()).count();
        return new Holdings(count(Path.of("/proc/self/fd")), threads, vmMappings(), NetDevice.list(tapPrefix).size());
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

    /** Mappings of KVM (vCPU run pages), kernel templates (memfd:hatchery-*) and guest RAM of the soak's sizes. */
    private static long vmMappings()
    {
        try (Stream<String> lines = Files.lines(Path.of("/proc/self/maps")))
        {
            return lines.filter(line -> line.contains("anon_inode:kvm") || line.contains("memfd:hatchery") || isGuestRam(line)).count();
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }
}
