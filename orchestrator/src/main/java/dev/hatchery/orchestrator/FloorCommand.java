package dev.hatchery.orchestrator;

import java.io.PrintWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;

import dev.hatchery.config.VmSpec;
import dev.hatchery.orchestrator.report.BatchReport;
import dev.hatchery.orchestrator.report.FloorReport;
import dev.hatchery.orchestrator.report.TerminalReport;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The floor benchmark ({@code ./hatchery bench floor}): the C floor VMM ({@code bench/c/floor-vmm.c}), Hatchery with
 * VM shells off, and Hatchery with shells on, taking turns on the flat guest in each of several rounds of one run,
 * then each Hatchery variant against the C VMM side by side. Each Hatchery turn starts a fresh {@link Hatchery}
 * (the JVM and its JIT stay warm) and boots a few unmeasured VMs first, so one variant's shells never sit, or
 * refill, while another variant is measured.
 */
@Command(name = "floor", description = "The C floor VMM beside Hatchery (shells off, on) on the flat guest, in turns, "
    + "and the ratios: ./hatchery bench floor.")
final class FloorCommand implements Callable<Integer>
{
    static final String C_VMM = "C VMM";
    static final String HATCHERY = "Hatchery";
    static final String HATCHERY_SHELLS = "Hatchery+shells";
    static final String HATCHERY_RECYCLED = "Hatchery+recycling";

    @CommandLine.Spec
    private CommandLine.Model.CommandSpec spec;

    @CommandLine.Option(names = "--count", defaultValue = "100", description = "VMs per variant per round (default: ${DEFAULT-VALUE})")
    private int count;

    @CommandLine.Option(names = "--concurrency", defaultValue = "1",
        description = "VMs in flight: this many C VMM processes (the count split between them) against Hatchery with this many in flight"
            + " (default: ${DEFAULT-VALUE})")
    private int concurrency;

    @CommandLine.Option(names = "--rounds", defaultValue = "3", description = "rounds; each runs every variant once (default: ${DEFAULT-VALUE})")
    private int rounds;

    @CommandLine.Option(names = "--shells", description = "shell depth for the shells variant (default: twice --concurrency, at least 16)")
    private Integer shellDepth;

    @CommandLine.Option(names = "--warmup", defaultValue = "20",
        description = "unmeasured VMs each Hatchery turn boots first (default: ${DEFAULT-VALUE})")
    private int warmup;

    @CommandLine.Option(names = "--mem-mib", defaultValue = "128", description = "guest RAM in MiB (default: ${DEFAULT-VALUE})")
    private int memMib;

    @CommandLine.Option(names = "--boot-timeout-ms", defaultValue = "10000",
        description = "a VM without boot-complete after this long is timed out (default: ${DEFAULT-VALUE})")
    private long bootTimeoutMs;

    @Override
    public Integer call()
    {
        if (count < 1 || concurrency < 1 || concurrency > count || rounds < 1 || warmup < 0)
        {
            throw new IllegalArgumentException("need count >= concurrency >= 1, rounds >= 1, warmup >= 0: count=" + count
                + " concurrency=" + concurrency + " rounds=" + rounds + " warmup=" + warmup);
        }
        final PrintWriter out = spec.commandLine().getOut();
        final PrintWriter err = spec.commandLine().getErr();
        final KernelCatalog catalog = KernelCatalog.fromEnvironment(System.getenv());
        final VmSpec vmSpec = catalog.specFor(KernelCatalog.FLAT, false).memMib(memMib).bootTimeout(Duration.ofMillis(bootTimeoutMs)).conclude();
        final FloorVmm floor = new FloorVmm(FloorVmm.locate(System.getenv()), vmSpec.kernel(), memMib, bootTimeoutMs);
        final Config config = ConfigFactory.load();
        final int depth = shellDepth != null ? shellDepth : Math.max(16, 2 * concurrency);
        final List<String> notes = new ArrayList<>();

        final List<BatchReport> c = new ArrayList<>();
        final List<BatchReport> off = new ArrayList<>();
        final List<BatchReport> on = new ArrayList<>();
        final List<BatchReport> recycled = new ArrayList<>();
        final Config shells = Hatchery.withShellDepth(config, depth);
        for (int round = 1; round <= rounds; round++)
        {
            c.add(progress(err, round, C_VMM, floor.run(count, concurrency).report()));
            off.add(progress(err, round, HATCHERY, hatchery(catalog, Hatchery.withShellDepth(config, 0), vmSpec)));
            on.add(progress(err, round, HATCHERY_SHELLS + " (depth " + depth + ")", hatchery(catalog, Hatchery.withShellRecycling(shells, false), vmSpec)));
            recycled.add(progress(err, round, HATCHERY_RECYCLED + " (depth " + depth + ")", hatchery(catalog, Hatchery.withShellRecycling(shells, true),
                vmSpec)));
        }

        final List<FloorReport.Variant> variants = List.of(new FloorReport.Variant(C_VMM, c), new FloorReport.Variant(HATCHERY, off),
            new FloorReport.Variant(HATCHERY_SHELLS, on), new FloorReport.Variant(HATCHERY_RECYCLED, recycled));
        // A spawn that finds the pool empty builds its VM directly: say how many did, or the shells figures mislead.
        notes.add("shells: depth " + depth + " (" + Hatchery.SHELLS_DEPTH + "), refilled in the background; " + paths(on)
            + " VMs of the shells variant (ended VMs' shells destroyed)");
        notes.add("recycling: the same depth, ended VMs' shells reset and reused (" + Hatchery.SHELLS_RECYCLE + "); " + paths(recycled)
            + " VMs of the recycling variant");
        final FloorReport report = new FloorReport(count, concurrency, rounds, Environment.inLab(), Environment.describe(), variants,
            targets(concurrency), notes);
        out.print(TerminalReport.render(report));
        out.flush();
        return variants.stream().allMatch(variant -> variant.booted() == variant.count()) ? 0 : 1;
    }

    /** How the VMs of one variant were built, over its rounds: "fresh shell 40, recycled 250, direct 10 of 300". */
    private static String paths(final List<BatchReport> reports)
    {
        final java.util.function.ToIntFunction<String> count = path -> reports.stream()
            .mapToInt(report -> report.spawnPaths().getOrDefault(path, 0)).sum();
        final int built = reports.stream().mapToInt(report -> report.spawnPaths().values().stream().mapToInt(Integer::intValue).sum()).sum();
        return "fresh shell " + count.applyAsInt("shell") + ", recycled " + count.applyAsInt("recycled") + ", direct "
            + count.applyAsInt("direct") + " of " + built;
    }

    /** The goals for the floor, reported against the measured ratios. */
    static List<FloorReport.Target> targets(final int concurrency)
    {
        return List.of(
            new FloorReport.Target("flat spawn\u2192boot-complete p50 \u2264 1.0\u00d7 C", HATCHERY, FloorReport.Figure.BOOT_P50, 1.0, false),
            new FloorReport.Target(concurrency == 1 ? "throughput, 1 in flight, \u2265 1.0\u00d7 C"
                : "throughput, " + concurrency + " in flight, \u2265 1.0\u00d7 " + concurrency + " C processes", HATCHERY,
                FloorReport.Figure.THROUGHPUT, 1.0, true),
            new FloorReport.Target("with shells, request\u2192boot-complete p50 \u2264 0.25\u00d7 C", HATCHERY_SHELLS,
                FloorReport.Figure.BOOT_P50, 0.25, false),
            new FloorReport.Target("with recycled shells, request\u2192boot-complete p50 \u2264 0.25\u00d7 C", HATCHERY_RECYCLED,
                FloorReport.Figure.BOOT_P50, 0.25, false),
            new FloorReport.Target(concurrency == 1 ? "recycling, throughput, 1 in flight, \u2265 1.0\u00d7 C"
                : "recycling, throughput, " + concurrency + " in flight, \u2265 1.0\u00d7 " + concurrency + " C processes", HATCHERY_RECYCLED,
                FloorReport.Figure.THROUGHPUT, 1.0, true));
    }

    /** One Hatchery turn: a fresh instance, {@code warmup} unmeasured VMs, then the measured batch. */
    private BatchReport hatchery(final KernelCatalog catalog, final Config config, final VmSpec vmSpec)
    {
        try (Hatchery hatchery = Hatchery.start(config, catalog))
        {
            if (warmup > 0)
            {
                hatchery.run(new BatchRequest(KernelCatalog.FLAT, vmSpec, warmup, Math.min(warmup, concurrency), true));
            }
            return hatchery.run(new BatchRequest(KernelCatalog.FLAT, vmSpec, count, concurrency, true));
        }
    }

    private static BatchReport progress(final PrintWriter err, final int round, final String variant, final BatchReport report)
    {
        err.println(String.format(Locale.ROOT, "hatchery: floor round %d: %-26s booted %d/%d  %.2f VMs/s  spawn\u2192boot-complete p50 %.3f ms",
            round, variant, report.booted(), report.count(), report.throughputPerSecond(), report.latencyMicros().p50() / 1000.0));
        err.flush();
        return report;
    }
}
