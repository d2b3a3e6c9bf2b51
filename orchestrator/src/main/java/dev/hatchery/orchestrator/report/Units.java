package dev.hatchery.orchestrator.report;

import java.util.List;
import java.util.Locale;

import dev.hatchery.vm.Phase;
import dev.hatchery.vm.Span;

/** Number formats shared by the terminal and HTML reports, so both show the same figures. */
final class Units
{
    static final String NOT_AVAILABLE = "n/a";
    static final String BOOT_ROW = "spawn\u2192boot-complete";
    /** The latency columns every report shows, in this order; see {@link #columns}. */
    static final List<String> COLUMN_NAMES = List.of("p50", "p90", "p99", "p99.9", "max");

    private Units()
    {
    }

    /** Microseconds as milliseconds with 3 decimals, e.g. {@code 12.345}. */
    static String ms(final long micros)
    {
        return String.format(Locale.ROOT, "%.3f", micros / 1_000.0);
    }

    /** Bytes as MiB with 1 decimal, or n/a when unknown (negative). */
    static String mib(final long bytes)
    {
        return bytes < 0 ? NOT_AVAILABLE : String.format(Locale.ROOT, "%.1f MiB", bytes / (1024.0 * 1024.0));
    }

    /** Seconds with 3 decimals, or n/a when unknown (negative). */
    static String seconds(final double seconds)
    {
        return seconds < 0 ? NOT_AVAILABLE : String.format(Locale.ROOT, "%.3f s", seconds);
    }

    static String perSecond(final double rate)
    {
        return String.format(Locale.ROOT, "%.2f VMs/s", rate);
    }

    /** VMs per spawn path, e.g. {@code shell 990  direct 10}. */
    static String spawnPaths(final java.util.Map<String, Integer> counts)
    {
        final StringBuilder text = new StringBuilder();
        counts.forEach((path, count) -> text.append(text.length() == 0 ? "" : "  ").append(path).append(' ').append(count));
        return text.toString();
    }

    /**
     * The display name of a phase the report keys by {@link Phase#jsonKey()}, e.g. {@code memory ready} for
     * {@code memoryReady}; a key this version does not know (a newer report's) shows as it is.
     */
    static String phaseLabel(final String jsonKey)
    {
        return Phase.ofJsonKey(jsonKey).map(Phase::label).orElse(jsonKey);
    }

    /** The display name of a span the report keys by {@link Span#jsonKey()}, e.g. {@code VMM}; an unknown key shows as it is. */
    static String spanLabel(final String jsonKey)
    {
        return Span.ofJsonKey(jsonKey).map(Span::label).orElse(jsonKey);
    }

    /** What a span measures, e.g. {@code VM Request→kernel entry}; empty for a key this version does not know. */
    static String spanDescription(final String jsonKey)
    {
        return Span.ofJsonKey(jsonKey).map(Span::description).orElse("");
    }

    /** The five latency columns every report shows, in order: p50 p90 p99 p99.9 max. */
    static long[] columns(final LatencySummary summary)
    {
        return new long[] {summary.p50(), summary.p90(), summary.p99(), summary.p999(), summary.max()};
    }
}
