package dev.hatchery.orchestrator;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicInteger;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.typesafe.config.ConfigFactory;

import dev.hatchery.config.SpawnMode;
import dev.hatchery.orchestrator.function.FunctionDeployment;
import dev.hatchery.orchestrator.function.Invocation;
import dev.hatchery.orchestrator.report.LatencySummary;

import org.HdrHistogram.Histogram;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * Invocation latency of one deployed function, N invocations with C in flight, per spawn mode: warm (each in a clone of
 * the function's template) and cold (each in a VM that boots). Each request is different, and each response is checked
 * against its own request where the function's answer is known (echo, sha256, wc): a lost or mixed-up response counts
 * as mismatched. Latencies split into queue, clone (or boot), run and collect.
 */
@Command(name = "bench", description = "Invocation latency of a deployed function: N invocations, C at once, warm (clone) and/or cold (boot).")
final class FunctionBenchCommand implements Callable<Integer>
{
    @CommandLine.Spec
    private CommandLine.Model.CommandSpec spec;

    @CommandLine.Parameters(index = "0", paramLabel = "NAME", description = "the function")
    private String name;

    @CommandLine.Option(names = "--invocations", defaultValue = "100", description = "per spawn mode (default: ${DEFAULT-VALUE})")
    private int invocations;

    @CommandLine.Option(names = "--concurrency", defaultValue = "8", description = "invocations in flight (default: ${DEFAULT-VALUE})")
    private int concurrency;

    @CommandLine.Option(names = "--spawn", defaultValue = "clone", split = ",",
        description = "spawn modes, in order: clone (warm), boot (cold) (default: ${DEFAULT-VALUE})")
    private List<String> modes;

    @CommandLine.Option(names = "--request-bytes", defaultValue = "64", description = "size of each generated request (default: ${DEFAULT-VALUE})")
    private int requestBytes;

    @CommandLine.Option(names = "--check", defaultValue = "auto",
        description = "how responses are checked: echo, sha256, wc, none, or auto (by the function's name) (default: ${DEFAULT-VALUE})")
    private String check;

    @CommandLine.Option(names = "--json", paramLabel = "FILE", description = "also write the figures as JSON")
    private Path json;

    /** One spawn mode's figures; latencies in microseconds. */
    record ModeResult(String spawn, int invocations, int succeeded, int failed, int mismatched, double seconds, double invocationsPerSecond,
                      LatencySummary total, LatencySummary queue, LatencySummary cloneOrBoot, LatencySummary run, LatencySummary collect,
                      List<String> firstProblems)
    {
    }

    /** The whole run. */
    record BenchResult(String function, String environment, int concurrency, int requestBytes, String check, List<ModeResult> modes,
                       Double warmOverColdP50)
    {
    }

    @Override
    public Integer call() throws IOException
    {
        FunctionDeployment.checkName(name);
        if (invocations < 1 || concurrency < 1 || requestBytes < 16)
        {
            throw new CommandLine.ParameterException(spec.commandLine(), "--invocations and --concurrency must be at least 1, --request-bytes"
                + " at least 16: " + invocations + ", " + concurrency + ", " + requestBytes);
        }
        final String checking = check.equals("auto") ? (List.of("echo", "sha256", "wc").contains(name) ? name : "none") : check;
        if (!List.of("echo", "sha256", "wc", "none").contains(checking))
        {
            throw new CommandLine.ParameterException(spec.commandLine(), "--check " + check + ": choose echo, sha256, wc, none or auto");
        }
        final List<SpawnMode> spawnModes = new ArrayList<>();
        for (final String mode : modes)
        {
            spawnModes.add(CliEnums.parse(SpawnMode.class, "--spawn", mode));
        }
        LabOutput.requireShared("--json", json, System.getenv());
        final List<ModeResult> results = new ArrayList<>();
        try (Hatchery hatchery = Hatchery.start(ConfigFactory.load(), KernelCatalog.fromEnvironment(System.getenv())))
        {
            for (final SpawnMode mode : spawnModes)
            {
                // One invocation first, unmeasured: it makes the template (or the kernel) ready, as a deployed service has it.
                run(hatchery, mode, 1, 1, checking);
                results.add(run(hatchery, mode, invocations, concurrency, checking));
            }
        }
        final Double ratio = ratio(results);
        final BenchResult bench = new BenchResult(name, Environment.describe(), concurrency, requestBytes, checking, results, ratio);
        print(bench);
        if (json != null)
        {
            new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(json.toFile(), bench);
        }
        return results.stream().allMatch(result -> result.failed() == 0 && result.mismatched() == 0) ? 0 : 1;
    }

    private static Double ratio(final List<ModeResult> results)
    {
        final ModeResult warm = results.stream().filter(r -> r.spawn().equals("clone")).findFirst().orElse(null);
        final ModeResult cold = results.stream().filter(r -> r.spawn().equals("boot")).findFirst().orElse(null);
        return warm == null || cold == null || warm.total().p50() == 0 ? null : (double)cold.total().p50() / warm.total().p50();
    }

    private ModeResult run(final Hatchery hatchery, final SpawnMode mode, final int count, final int inFlight, final String checking)
    {
        final Histogram total = new Histogram(3);
        final Histogram queue = new Histogram(3);
        final Histogram cloneOrBoot = new Histogram(3);
        final Histogram run = new Histogram(3);
        final Histogram collect = new Histogram(3);
        final AtomicInteger succeeded = new AtomicInteger();
        final AtomicInteger failed = new AtomicInteger();
        final AtomicInteger mismatched = new AtomicInteger();
        final List<String> problems = new java.util.concurrent.CopyOnWriteArrayList<>();
        final Semaphore slots = new Semaphore(inFlight);
        final List<CompletableFuture<Void>> all = new ArrayList<>();
        final long start = System.nanoTime();
        for (int i = 0; i < count; i++)
        {
            slots.acquireUninterruptibly();
            final byte[] request = request(i);
            final CompletableFuture<Void> one = hatchery.functions().invoke(name, request, mode).toCompletableFuture()
                .handle((invocation, error) ->
                {
                    slots.release();
                    if (error != null || !invocation.succeeded())
                    {
                        failed.incrementAndGet();
                        note(problems, error != null ? String.valueOf(error.getMessage()) : invocation.status() + ": " + invocation.detail());
                        return null;
                    }
                    final String wrong = mismatch(checking, request, invocation.response());
                    if (wrong != null)
                    {
                        mismatched.incrementAndGet();
                        note(problems, invocation.vmId() + ": " + wrong);
                        return null;
                    }
                    succeeded.incrementAndGet();
                    final Invocation.Timings t = invocation.timings();
                    record(total, t.totalMs());
                    record(queue, t.queueMs());
                    record(cloneOrBoot, t.cloneMs());
                    record(run, t.runMs());
                    record(collect, t.collectMs());
                    return null;
                });
            all.add(one);
        }
        CompletableFuture.allOf(all.toArray(CompletableFuture[]::new)).join();
        final double seconds = (System.nanoTime() - start) / 1e9;
        return new ModeResult(mode.name().toLowerCase(Locale.ROOT), count, succeeded.get(), failed.get(), mismatched.get(), seconds,
            count / seconds, LatencySummary.of(total), LatencySummary.of(queue), LatencySummary.of(cloneOrBoot), LatencySummary.of(run),
            LatencySummary.of(collect), List.copyOf(problems));
    }

    private static void note(final List<String> problems, final String problem)
    {
        if (problems.size() < 5)
        {
            problems.add(problem);
        }
    }

    private static void record(final Histogram histogram, final double millis)
    {
        if (millis >= 0)
        {
            histogram.recordValue(Math.max(1, (long)(millis * 1e6)));
        }
    }

    /** Request {@code i}: its number and random hex, then filler words up to --request-bytes (different for every i). */
    private byte[] request(final int i)
    {
        final StringBuilder sb = new StringBuilder("invocation ").append(i).append(' ')
            .append(Long.toHexString(java.util.concurrent.ThreadLocalRandom.current().nextLong())).append('\n');
        while (sb.length() < requestBytes)
        {
            sb.append("word ");
        }
        sb.setLength(requestBytes - 1);
        sb.append('\n');
        return sb.toString().getBytes(StandardCharsets.US_ASCII);
    }

    /** Why {@code response} is not the answer to {@code request}, or null when it is (or the check is none). */
    static String mismatch(final String checking, final byte[] request, final byte[] response)
    {
        final String expected = switch (checking)
        {
            case "echo" -> new String(request, StandardCharsets.ISO_8859_1);
            case "sha256" -> sha256(request) + "\n";
            case "wc" -> wc(request);
            default -> null;
        };
        final String got = new String(response, StandardCharsets.ISO_8859_1);
        if (expected == null || expected.equals(got))
        {
            return null;
        }
        return "expected " + shorten(expected) + " got " + shorten(got);
    }

    private static String shorten(final String text)
    {
        final String shown = text.length() > 60 ? text.substring(0, 60) + "..." : text;
        return "'" + shown.replaceAll("\\p{Cntrl}", "?") + "' (" + text.length() + " bytes)";
    }

    private static String sha256(final byte[] bytes)
    {
        try
        {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        }
        catch (final NoSuchAlgorithmException ex)
        {
            throw new IllegalStateException(ex);
        }
    }

    /** As the example wc answers: lines, words and bytes of the request. */
    static String wc(final byte[] bytes)
    {
        long lines = 0;
        long words = 0;
        boolean inWord = false;
        for (final byte b : bytes)
        {
            if (b == '\n')
            {
                lines++;
            }
            final boolean space = b == ' ' || b == '\t' || b == '\n' || b == '\r' || b == 0x0b || b == '\f';
            if (space)
            {
                inWord = false;
            }
            else if (!inWord)
            {
                inWord = true;
                words++;
            }
        }
        return lines + " " + words + " " + bytes.length + "\n";
    }

    private void print(final BenchResult bench)
    {
        final java.io.PrintWriter out = spec.commandLine().getOut();
        out.println("Hatchery function bench: " + bench.function() + ", " + invocations + " invocations per mode, concurrency " + concurrency
            + ", " + requestBytes + "-byte requests, responses checked: " + bench.check() + ", " + bench.environment());
        out.println(String.format(Locale.ROOT, "%-6s %6s %6s %10s %9s | %-29s | %-19s | %-9s | %-9s | %-9s", "spawn", "ok", "failed",
            "mismatched", "inv/s", "total ms p50/p90/p99/max", "clone|boot p50/p99", "run p50", "collect", "queue p50"));
        for (final ModeResult mode : bench.modes())
        {
            out.println(String.format(Locale.ROOT, "%-6s %6d %6d %10d %9.1f | %6.2f %6.2f %6.2f %7.2f | %8.2f %8.2f | %9.2f | %9.2f | %9.2f",
                mode.spawn(), mode.succeeded(), mode.failed(), mode.mismatched(), mode.invocationsPerSecond(), ms(mode.total().p50()),
                ms(mode.total().p90()), ms(mode.total().p99()), ms(mode.total().max()), ms(mode.cloneOrBoot().p50()),
                ms(mode.cloneOrBoot().p99()), ms(mode.run().p50()), ms(mode.collect().p50()), ms(mode.queue().p50())));
            mode.firstProblems().forEach(problem -> out.println("  " + mode.spawn() + ": " + problem));
        }
        if (bench.warmOverColdP50() != null)
        {
            out.println(String.format(Locale.ROOT, "warm (clone) total p50 is %.2fx faster than cold (boot)", bench.warmOverColdP50()));
        }
        out.println("total: as the caller waited; clone|boot: the VM's start to its guest's resume (clone) or boot-complete (boot); run: to the"
            + " handler's reply; collect: reply to caller; queue: the rest (admission, template lookup, the VM's actor).");
        out.flush();
    }

    private static double ms(final long micros)
    {
        return micros / 1000.0;
    }
}
