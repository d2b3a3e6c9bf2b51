package dev.hatchery.orchestrator.report;

import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.ToDoubleFunction;

/** Reports as compact aligned tables for a terminal: a batch, and the floor benchmark. */
public final class TerminalReport
{
    private static final String ROW_FORMAT = "%-22s";
    private static final String CELL_FORMAT = "%10s";
    private static final String FACT_FORMAT = "%-12s %s%n";
    private static final String FLOOR_ROW_FORMAT = "%-32s";
    private static final String FLOOR_CELL_FORMAT = "%20s";
    private static final String FLOOR_RATIO_FORMAT = "%9s";

    private TerminalReport()
    {
    }

    public static String render(final BatchReport report)
    {
        final StringBuilder out = new StringBuilder();
        out.append(String.format(Locale.ROOT, "Hatchery batch: kernel=%s count=%d concurrency=%d memory=%s environment=%s%n",
            printable(report.kernel()), report.count(), report.concurrency(), printable(report.memoryMode()),
            printable(report.environment())));
        if (report.lab())
        {
            out.append("!! timings are EMULATED (lab): they measure the emulator, not KVM !!").append(System.lineSeparator());
        }
        fact(out, "started", report.startedAt());
        fact(out, "outcomes", String.format(Locale.ROOT, "booted %d  failed %d  timed out %d  cancelled %d",
            report.booted(), report.failed(), report.timedOut(), report.cancelled()));
        fact(out, "wall time", Units.seconds(report.wallSeconds()));
        fact(out, "throughput", Units.perSecond(report.throughputPerSecond()));
        if (!report.spawnPaths().isEmpty())
        {
            fact(out, "spawn paths", Units.spawnPaths(report.spawnPaths()));
        }
        if (report.cloneTemplate() != null)
        {
            fact(out, "clone template", String.format(Locale.ROOT, "made in %.1f ms (boot to the ready point and capture; not in any clone's latency), %s captured",
                report.cloneTemplate().prepareMillis(), Units.mib(report.cloneTemplate().capturedBytes())));
        }
        out.append(System.lineSeparator());
        latencyTable(out, report);
        out.append(System.lineSeparator());
        fact(out, "host CPU", Units.seconds(report.hostCpuSeconds()));
        fact(out, "peak RSS", Units.mib(report.peakRssBytes()));
        fact(out, "memory/VM", Units.mib(report.memoryPerVmBytes()) + " (peak RSS growth / VMs resident at once)");
        fact(out, "  guest", Units.mib(report.guestMemoryPerVmBytes()) + " (pages the guest wrote, sampled)");
        fact(out, "  host", Units.mib(report.hostOverheadPerVmBytes()) + " (the rest: VMM, threads, JVM)");
        failures(out, report.failures());
        return out.toString();
    }

    /**
     * The floor benchmark side by side: per variant the median over rounds of each phase's p50 from the request, the
     * spawn-to-boot-complete p50 and p99, throughput, and each Hatchery variant over the C floor VMM; then the per-round
     * ratios (their spread), the targets and the notes.
     */
    public static String render(final FloorReport report)
    {
        final StringBuilder out = new StringBuilder();
        final String nl = System.lineSeparator();
        out.append(String.format(Locale.ROOT, "Floor: C VMM vs Hatchery on the flat guest: %d VMs per variant per round, %d in flight"
            + " (C: %d process%s, the count split between them), %d round%s, variants in turns; environment=%s%n",
            report.count(), report.concurrency(), report.concurrency(), report.concurrency() == 1 ? "" : "es", report.rounds(),
            report.rounds() == 1 ? "" : "s", printable(report.environment())));
        if (report.lab())
        {
            out.append("!! timings are EMULATED (lab): compare the ratios, measured in this run, not the absolute times !!").append(nl);
        }
        out.append(String.format(Locale.ROOT, FLOOR_ROW_FORMAT, "median over rounds"));
        for (final FloorReport.Variant variant : report.variants())
        {
            out.append(String.format(Locale.ROOT, FLOOR_CELL_FORMAT, printable(variant.name())));
            if (variant != report.baseline())
            {
                out.append(String.format(Locale.ROOT, FLOOR_RATIO_FORMAT, "×C"));
            }
        }
        out.append(nl).append("from request, p50 (ms)").append(nl);
        for (final String key : report.phaseKeys())
        {
            floorRow(out, report, "  " + printable(Units.phaseLabel(key)), variant -> FloorReport.phaseP50Ms(variant, key), "%.3f");
        }
        for (final FloorReport.Figure figure : FloorReport.Figure.values())
        {
            floorRow(out, report, figure.label(), variant -> variant.median(figure::of), figure.higherIsBetter() ? "%.2f" : "%.3f");
        }
        out.append(String.format(Locale.ROOT, FLOOR_ROW_FORMAT, "booted / VMs"));
        for (final FloorReport.Variant variant : report.variants())
        {
            out.append(String.format(Locale.ROOT, FLOOR_CELL_FORMAT, variant.booted() + "/" + variant.count()));
            if (variant != report.baseline())
            {
                out.append(String.format(Locale.ROOT, FLOOR_RATIO_FORMAT, ""));
            }
        }
        out.append(nl);
        if (report.variants().size() > 1 && report.rounds() > 1)
        {
            out.append("each round's figure ×C, round 1.." + report.rounds()).append(nl);
            for (final FloorReport.Variant variant : report.variants().subList(1, report.variants().size()))
            {
                out.append(String.format(Locale.ROOT, "  %-18s boot p50 %s   throughput %s%n", printable(variant.name()),
                    ratios(report.roundRatios(variant, FloorReport.Figure.BOOT_P50)),
                    ratios(report.roundRatios(variant, FloorReport.Figure.THROUGHPUT))));
            }
        }
        if (!report.targets().isEmpty())
        {
            out.append("targets (reported, not asserted)").append(nl);
            for (final FloorReport.Target target : report.targets())
            {
                final FloorReport.Variant variant = report.variant(target.variant());
                final double ratio = variant == null ? Double.NaN : report.ratio(variant, target.figure());
                out.append(String.format(Locale.ROOT, "  %-58s %-18s %8s  %s%n", printable(target.what()), printable(target.variant()),
                    ratio(ratio), variant == null ? "not measured" : target.met(ratio) ? "met" : "missed"));
            }
        }
        for (final String note : report.notes())
        {
            out.append(printable(note)).append(nl);
        }
        return out.toString();
    }

    private static void floorRow(final StringBuilder out, final FloorReport report, final String name,
        final ToDoubleFunction<FloorReport.Variant> figure, final String format)
    {
        out.append(String.format(Locale.ROOT, FLOOR_ROW_FORMAT, name));
        final double base = figure.applyAsDouble(report.baseline());
        for (final FloorReport.Variant variant : report.variants())
        {
            final double value = figure.applyAsDouble(variant);
            out.append(String.format(Locale.ROOT, FLOOR_CELL_FORMAT, Double.isNaN(value) ? "-" : String.format(Locale.ROOT, format, value)));
            if (variant != report.baseline())
            {
                out.append(String.format(Locale.ROOT, FLOOR_RATIO_FORMAT, ratio(value / base)));
            }
        }
        out.append(System.lineSeparator());
    }

    /** A ratio as {@code 1.23x}, or - when a side is missing (or the baseline is 0). */
    static String ratio(final double ratio)
    {
        return Double.isNaN(ratio) || Double.isInfinite(ratio) ? "-" : String.format(Locale.ROOT, "%.2fx", ratio);
    }

    private static String ratios(final double[] ratios)
    {
        final StringBuilder sb = new StringBuilder();
        for (final double ratio : ratios)
        {
            sb.append(sb.length() == 0 ? "" : " ").append(ratio(ratio));
        }
        return sb.toString();
    }

    private static void latencyTable(final StringBuilder out, final BatchReport report)
    {
        out.append(String.format(Locale.ROOT, ROW_FORMAT, "from request (ms)"));
        for (final String column : Units.COLUMN_NAMES)
        {
            out.append(String.format(Locale.ROOT, CELL_FORMAT, column));
        }
        out.append(String.format(Locale.ROOT, CELL_FORMAT, "n")).append(System.lineSeparator());
        latencyRow(out, Units.BOOT_ROW, report.latencyMicros());
        for (final Map.Entry<String, LatencySummary> phase : report.phases().entrySet())
        {
            latencyRow(out, "  " + printable(Units.phaseLabel(phase.getKey())), phase.getValue());
        }
        if (report.spans().isEmpty())
        {
            return;
        }
        out.append("split (ms)").append(System.lineSeparator());
        final StringBuilder legend = new StringBuilder();
        for (final Map.Entry<String, LatencySummary> span : report.spans().entrySet())
        {
            latencyRow(out, "  " + printable(Units.spanLabel(span.getKey())), span.getValue());
            final String description = Units.spanDescription(span.getKey());
            if (!description.isEmpty())
            {
                legend.append(legend.length() == 0 ? "split: " : ", ").append(Units.spanLabel(span.getKey())).append(" = ")
                    .append(description);
            }
        }
        if (legend.length() > 0)
        {
            out.append(legend).append(System.lineSeparator());
        }
    }

    private static void latencyRow(final StringBuilder out, final String name, final LatencySummary summary)
    {
        out.append(String.format(Locale.ROOT, ROW_FORMAT, name));
        for (final long micros : Units.columns(summary))
        {
            out.append(String.format(Locale.ROOT, CELL_FORMAT, summary.count() == 0 ? "-" : Units.ms(micros)));
        }
        out.append(String.format(Locale.ROOT, CELL_FORMAT, summary.count())).append(System.lineSeparator());
    }

    private static void failures(final StringBuilder out, final List<FailureGroup> failures)
    {
        if (failures.isEmpty())
        {
            fact(out, "failures", "none");
            return;
        }
        out.append("failures").append(System.lineSeparator());
        for (final FailureGroup failure : failures)
        {
            out.append(String.format(Locale.ROOT, "%8d  %s [%s]%n", failure.count(), printable(failure.summary()), failure.code()));
            out.append(String.format(Locale.ROOT, "%8s  e.g. %s%s%n", "", failure.exampleVmId(),
                failure.exampleDetail().isEmpty() ? "" : ": " + printable(failure.exampleDetail())));
        }
    }

    private static void fact(final StringBuilder out, final String name, final String value)
    {
        out.append(String.format(Locale.ROOT, FACT_FORMAT, name, value));
    }

    /** Reasons come from guests and the VMM: show control characters as \xNN so none can drive the terminal. */
    static String printable(final String text)
    {
        if (text == null)
        {
            return "";
        }
        final StringBuilder sb = new StringBuilder(text.length());
        for (int i = 0; i < text.length(); i++)
        {
            final char c = text.charAt(i);
            if (Character.isISOControl(c))
            {
                sb.append(String.format(Locale.ROOT, "\\x%02x", (int)c));
            }
            else
            {
                sb.append(c);
            }
        }
        return sb.toString();
    }
}
