package dev.hatchery.orchestrator.report;

import static dev.hatchery.orchestrator.report.Markup.escape;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The report as one self-contained HTML page: inline CSS and SVG, no scripts, nothing fetched, so it can be
 * mailed or archived as a single file. Every text that did not come from this class is escaped.
 */
public final class HtmlReport
{
    private static final String STYLE = """
        body { font-family: system-ui, sans-serif; max-width: 760px; margin: 2em auto; color: #222; }
        h1 { font-size: 1.5em; margin-bottom: 0.2em; }
        h2 { font-size: 1.15em; margin-top: 1.6em; }
        .sub { color: #555; margin-top: 0; }
        .lab { background: #fff3cd; border: 2px solid #d39e00; padding: 0.6em 0.8em; font-weight: bold; }
        table { border-collapse: collapse; margin: 0.5em 0; }
        th, td { padding: 0.2em 0.7em; border-bottom: 1px solid #ddd; text-align: left; }
        td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
        svg { font-size: 12px; }
        svg .grid { stroke: #e3e3e3; }
        svg .lab-note { fill: #b35c00; font-weight: bold; }
        svg .value { fill: #444; font-size: 11px; }
        """;

    private HtmlReport()
    {
    }

    public static String render(final BatchReport report)
    {
        final String title = "Hatchery batch: " + report.kernel() + " \u00d7" + report.count();
        final StringBuilder html = new StringBuilder();
        html.append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>")
            .append(escape(title)).append("</title>\n<style>\n").append(STYLE).append("</style>\n</head>\n<body>\n");
        html.append("<h1>").append(escape(title)).append("</h1>\n");
        html.append("<p class=\"sub\">kernel=").append(escape(report.kernel()))
            .append(" count=").append(report.count())
            .append(" concurrency=").append(report.concurrency())
            .append(" memory=").append(escape(report.memoryMode()))
            .append(" environment=").append(escape(report.environment())).append("</p>\n");
        if (report.lab())
        {
            html.append("<p class=\"lab\">Timings are EMULATED (lab: ").append(escape(report.environment()))
                .append("): they measure the emulator, not KVM, and are not comparable with native numbers.</p>\n");
        }
        summary(html, report);
        latencyTable(html, report);
        spanTable(html, report);
        html.append("<h2>").append(Units.BOOT_ROW).append(" by percentile</h2>\n");
        html.append(PercentileCurveSvg.render(report.latencyMicros(), report.lab()));
        html.append("<h2>Phases: time from the VM request</h2>\n");
        html.append(PhaseBarsSvg.render(report.phases(), report.lab()));
        failures(html, report.failures());
        html.append("</body>\n</html>\n");
        return html.toString();
    }

    /** Writes the page to {@code path} atomically: readers see the old file or the whole new one. */
    public static void write(final BatchReport report, final Path path) throws IOException
    {
        ReportFiles.writeAtomically(path, render(report));
    }

    private static void summary(final StringBuilder html, final BatchReport report)
    {
        html.append("<h2>Summary</h2>\n<table class=\"summary\">\n");
        fact(html, "started", escape(report.startedAt()));
        fact(html, "booted", String.valueOf(report.booted()));
        fact(html, "failed", String.valueOf(report.failed()));
        fact(html, "timed out", String.valueOf(report.timedOut()));
        fact(html, "cancelled", String.valueOf(report.cancelled()));
        fact(html, "wall time", Units.seconds(report.wallSeconds()));
        fact(html, "throughput", Units.perSecond(report.throughputPerSecond()));
        if (!report.spawnPaths().isEmpty())
        {
            fact(html, "spawn paths", escape(Units.spawnPaths(report.spawnPaths())));
        }
        fact(html, "host CPU", Units.seconds(report.hostCpuSeconds()));
        fact(html, "peak RSS", Units.mib(report.peakRssBytes()));
        fact(html, "memory per VM", Units.mib(report.memoryPerVmBytes()) + " (peak RSS growth / VMs resident at once)");
        fact(html, "of which guest", Units.mib(report.guestMemoryPerVmBytes()) + " (pages the guest wrote, sampled)");
        fact(html, "of which host", Units.mib(report.hostOverheadPerVmBytes()) + " (the rest: VMM, threads, JVM)");
        html.append("</table>\n");
    }

    private static void fact(final StringBuilder html, final String name, final String escapedValue)
    {
        html.append("<tr><th>").append(name).append("</th><td>").append(escapedValue).append("</td></tr>\n");
    }

    private static void latencyTable(final StringBuilder html, final BatchReport report)
    {
        html.append("<h2>Latency from the VM request (ms)</h2>\n<table class=\"latency\">\n");
        columnHeads(html);
        latencyRow(html, Units.BOOT_ROW, report.latencyMicros());
        for (final Map.Entry<String, LatencySummary> phase : report.phases().entrySet())
        {
            latencyRow(html, Units.phaseLabel(phase.getKey()), phase.getValue());
        }
        html.append("</table>\n");
    }

    /** Per-VM time between two phases (VMM, guest, kernel, init), when the guests reported their milestones. */
    private static void spanTable(final StringBuilder html, final BatchReport report)
    {
        if (report.spans().isEmpty())
        {
            return;
        }
        html.append("<h2>Where boot time went (ms, per VM)</h2>\n<table class=\"spans\">\n");
        columnHeads(html);
        for (final Map.Entry<String, LatencySummary> span : report.spans().entrySet())
        {
            final String description = Units.spanDescription(span.getKey());
            latencyRow(html, Units.spanLabel(span.getKey()) + (description.isEmpty() ? "" : " (" + description + ")"), span.getValue());
        }
        html.append("</table>\n");
    }

    private static void columnHeads(final StringBuilder html)
    {
        html.append("<tr><th></th>");
        for (final String column : Units.COLUMN_NAMES)
        {
            html.append("<th class=\"num\">").append(column).append("</th>");
        }
        html.append("<th class=\"num\">n</th></tr>\n");
    }

    private static void latencyRow(final StringBuilder html, final String name, final LatencySummary summary)
    {
        html.append("<tr><th>").append(escape(name)).append("</th>");
        for (final long micros : Units.columns(summary))
        {
            html.append("<td class=\"num\">").append(summary.count() == 0 ? "-" : Units.ms(micros)).append("</td>");
        }
        html.append("<td class=\"num\">").append(summary.count()).append("</td></tr>\n");
    }

    private static void failures(final StringBuilder html, final List<FailureGroup> failures)
    {
        html.append("<h2>Failures</h2>\n");
        if (failures.isEmpty())
        {
            html.append("<p>none</p>\n");
            return;
        }
        html.append("<table class=\"failures\">\n<tr><th class=\"num\">VMs</th><th>failure</th><th>what went wrong</th><th>example</th></tr>\n");
        for (final FailureGroup failure : failures)
        {
            html.append(String.format(Locale.ROOT, "<tr><td class=\"num\">%d</td><td>%s</td><td>%s</td><td>%s</td></tr>%n",
                failure.count(), escape(failure.code()), escape(failure.summary()),
                escape(failure.exampleVmId() + (failure.exampleDetail().isEmpty() ? "" : ": " + failure.exampleDetail()))));
        }
        html.append("</table>\n");
    }
}
