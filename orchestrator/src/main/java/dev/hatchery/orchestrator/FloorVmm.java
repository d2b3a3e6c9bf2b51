package dev.hatchery.orchestrator;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.hatchery.orchestrator.report.BatchRecorder;
import dev.hatchery.orchestrator.report.BatchReport;
import dev.hatchery.orchestrator.report.ResourceUsage;
import dev.hatchery.vm.VmResult;

/**
 * Runs the C floor VMM ({@code bench/c/floor-vmm.c}, built by the launcher, found through {@value #VARIABLE}):
 * {@code processes} processes at once, {@code count} VMs split between them, each process booting its share one
 * after another. Every process builds its template first and says {@code ready}; all are then released together,
 * so the wall time (first VM request of any process to the last process's end) covers only VMs. Their VMs become
 * one {@link BatchReport}, recorded as Hatchery records its own.
 */
final class FloorVmm
{
    static final String VARIABLE = "HATCHERY_FLOOR_VMM";
    private static final Logger LOG = LoggerFactory.getLogger(FloorVmm.class);
    private static final long READY_TIMEOUT_SECONDS = 120;

    /**
     * One run: each process's parsed output and the report over all of their VMs.
     *
     * @param processes one per C process, in start order
     */
    record Run(List<FloorVmmOutput> processes, BatchReport report)
    {
        Run
        {
            processes = List.copyOf(processes);
        }

        List<VmResult> vms()
        {
            return processes.stream().flatMap(process -> process.vms().stream()).toList();
        }
    }

    private final Path binary;
    private final Path elf;
    private final int memMib;
    private final long bootTimeoutMs;

    FloorVmm(final Path binary, final Path elf, final int memMib, final long bootTimeoutMs)
    {
        this.binary = binary;
        this.elf = elf;
        this.memMib = memMib;
        this.bootTimeoutMs = bootTimeoutMs;
    }

    /** The binary the launcher built, or an error that says how to get one. */
    static Path locate(final Map<String, String> env)
    {
        final String path = env.get(VARIABLE);
        if (path == null || path.isBlank() || !Files.isExecutable(Path.of(path)))
        {
            throw new IllegalStateException("the C floor VMM is not built: " + VARIABLE + "=" + path
                + "; run ./hatchery bench floor (or ./hatchery test), which compiles bench/c/floor-vmm.c with gcc and sets it");
        }
        return Path.of(path);
    }

    /** VMs for process {@code i} of {@code processes} when {@code count} are split between them: the first ones take the remainder. */
    static int share(final int count, final int processes, final int i)
    {
        return count / processes + (i < count % processes ? 1 : 0);
    }

    Run run(final int count, final int processes)
    {
        if (count < processes || processes < 1)
        {
            throw new IllegalArgumentException("each C VMM process needs at least one VM: count=" + count + " processes=" + processes);
        }
        final List<Child> children = new ArrayList<>();
        final Thread cleanup = new Thread(() -> children.forEach(Child::destroy), "floor-vmm-cleanup");
        Runtime.getRuntime().addShutdownHook(cleanup);
        try
        {
            for (int i = 0; i < processes; i++)
            {
                children.add(Child.start(i, List.of(binary.toString(), "--elf", elf.toString(), "--count", Integer.toString(share(count, processes, i)),
                    "--mem-mib", Integer.toString(memMib), "--boot-timeout-ms", Long.toString(bootTimeoutMs), "--wait-go")));
            }
            for (final Child child : children)
            {
                child.awaitReady();
            }
            for (final Child child : children)
            {
                child.go();
            }
            final long perProcessLimitMs = READY_TIMEOUT_SECONDS * 1000 + (long)share(count, processes, 0) * (bootTimeoutMs + 5000);
            final List<FloorVmmOutput> outputs = new ArrayList<>();
            for (final Child child : children)
            {
                outputs.add(child.finish(perProcessLimitMs));
            }
            return new Run(outputs, report(outputs, count, processes));
        }
        finally
        {
            children.forEach(Child::destroy);
            try
            {
                Runtime.getRuntime().removeShutdownHook(cleanup);
            }
            catch (final IllegalStateException ex)
            {
                // the JVM is shutting down: the hook runs anyway
            }
        }
    }

    private static BatchReport report(final List<FloorVmmOutput> outputs, final int count, final int processes)
    {
        final long start = outputs.stream().mapToLong(FloorVmmOutput::startNanos).min().orElseThrow();
        final long end = outputs.stream().mapToLong(FloorVmmOutput::endNanos).max().orElseThrow();
        final BatchRecorder recorder = new BatchRecorder(new BatchRecorder.Settings(KernelCatalog.FLAT, count, processes, "template",
            Environment.inLab(), Environment.describe()));
        recorder.start(start);
        outputs.forEach(output -> output.vms().forEach(recorder::record));
        // The C processes' CPU and memory are not this process's: not measured.
        return recorder.finish(end, new ResourceUsage(-1, -1, -1));
    }

    /** One C process, its output read as it comes (a full pipe would stall it). */
    private static final class Child
    {
        private final int index;
        private final Process process;
        private final List<String> stdout = Collections.synchronizedList(new ArrayList<>());
        private final List<String> stderr = Collections.synchronizedList(new ArrayList<>());
        private final CountDownLatch ready = new CountDownLatch(1);
        private final Thread outReader;
        private final Thread errReader;

        private Child(final int index, final Process process)
        {
            this.index = index;
            this.process = process;
            this.outReader = reader("floor-vmm-" + index + "-out", process.getInputStream(), stdout, true);
            this.errReader = reader("floor-vmm-" + index + "-err", process.getErrorStream(), stderr, false);
        }

        static Child start(final int index, final List<String> command)
        {
            try
            {
                return new Child(index, new ProcessBuilder(command).start());
            }
            catch (final IOException ex)
            {
                throw new IllegalStateException("cannot start the C floor VMM: command=" + command + " error=" + ex.getMessage(), ex);
            }
        }

        private Thread reader(final String name, final InputStream stream, final List<String> into, final boolean watchReady)
        {
            final Thread thread = new Thread(() ->
            {
                try (BufferedReader reader = new BufferedReader(new InputStreamReader(stream, StandardCharsets.UTF_8)))
                {
                    for (String line = reader.readLine(); line != null; line = reader.readLine())
                    {
                        into.add(line);
                        if (watchReady && line.startsWith("ready "))
                        {
                            ready.countDown();
                        }
                    }
                }
                catch (final IOException ex)
                {
                    into.add("(reading failed: " + ex.getMessage() + ")");
                }
                finally
                {
                    // An early end must not leave awaitReady waiting.
                    ready.countDown();
                }
            }, name);
            thread.setDaemon(true);
            thread.start();
            return thread;
        }

        void awaitReady()
        {
            try
            {
                if (!ready.await(READY_TIMEOUT_SECONDS, TimeUnit.SECONDS))
                {
                    throw new IllegalStateException("C floor VMM process " + index + " not ready within " + READY_TIMEOUT_SECONDS + " s" + errors());
                }
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted waiting for C floor VMM process " + index, ex);
            }
            if (stdout.stream().noneMatch(line -> line.startsWith("ready ")))
            {
                drain();
                throw new IllegalStateException("C floor VMM process " + index + " ended before it was ready: exit="
                    + exitValueOrRunning() + errors());
            }
        }

        void go()
        {
            try
            {
                final OutputStream in = process.getOutputStream();
                in.write("go\n".getBytes(StandardCharsets.US_ASCII));
                in.close();
            }
            catch (final IOException ex)
            {
                throw new IllegalStateException("cannot release C floor VMM process " + index + ": " + ex.getMessage() + errors(), ex);
            }
        }

        FloorVmmOutput finish(final long limitMs)
        {
            try
            {
                if (!process.waitFor(limitMs, TimeUnit.MILLISECONDS))
                {
                    throw new IllegalStateException("C floor VMM process " + index + " did not end within " + limitMs + " ms" + errors());
                }
                outReader.join(10_000);
                errReader.join(10_000);
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted waiting for C floor VMM process " + index, ex);
            }
            if (process.exitValue() != 0)
            {
                throw new IllegalStateException("C floor VMM process " + index + " failed: exit=" + process.exitValue() + errors());
            }
            synchronized (stdout)
            {
                final FloorVmmOutput output = FloorVmmOutput.parse(Integer.toString(index), List.copyOf(stdout));
                LOG.info("floor.c_vmm_done process={} pid={} vms={} booted={} wall_ms={}", index, output.processId(), output.vms().size(),
                    output.booted(), (output.endNanos() - output.startNanos()) / 1_000_000);
                return output;
            }
        }

        /** Gives an ended process's stderr a moment to arrive, for the error message. */
        private void drain()
        {
            try
            {
                process.waitFor(5, TimeUnit.SECONDS);
                errReader.join(5_000);
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
            }
        }

        private String exitValueOrRunning()
        {
            return process.isAlive() ? "running" : Integer.toString(process.exitValue());
        }

        private String errors()
        {
            synchronized (stderr)
            {
                return stderr.isEmpty() ? " (no stderr)" : ": " + String.join(" | ", stderr);
            }
        }

        void destroy()
        {
            if (process.isAlive())
            {
                process.destroyForcibly();
            }
        }
    }
}
