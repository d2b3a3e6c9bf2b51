package dev.hatchery.orchestrator.report;

import java.util.List;
import java.util.Locale;
import java.util.Map;

/** The report as a compact aligned table for a terminal. */
public final class TerminalReport
{
    private static final String ROW_FORMAT = "%-22s";
    private static final String CELL_FORMAT = "%10s";
    private static final String FACT_FORMAT = "%-12s %s%n";

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
        out.append(System.lineSeparator());
        latencyTable(out, report);
        out.append(System.lineSeparator());
        fact(out, "host CPU", Units.seconds(report.hostCpuSeconds()));
        fact(out, "peak RSS", Units.mib(report.peakRssBytes()));
        fact(out, "memory/VM", Units.mib(report.memoryPerVmBytes()) + " (peak RSS growth / VMs resident at once)");
        failures(out, report.failures());
        return out.toString();
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
