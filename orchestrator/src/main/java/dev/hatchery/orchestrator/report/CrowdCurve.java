package dev.hatchery.orchestrator.report;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;

/**
 * Spawn latency as the VMs already alive in the process grow: one batch report per number of idle VMs kept
 * running beside it. Rendered as a table with a bar per level (the curve) and as JSON.
 */
public final class CrowdCurve
{
    private static final ObjectMapper MAPPER = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    private static final int BAR_WIDTH = 40;

    /** One level: {@code alive} idle VMs running while {@code batch} ran. */
    public record Point(int alive, BatchReport batch)
    {
        public Point
        {
            Objects.requireNonNull(batch, "batch");
            if (alive < 0)
            {
                throw new IllegalArgumentException("alive VMs must not be negative: alive=" + alive);
            }
        }
    }

    /** What the JSON holds: the points, and how the last level's p99 compares with the first's. */
    public record Curve(List<Point> points, double p99Ratio, boolean lab)
    {
    }

    private CrowdCurve()
    {
    }

    public static Curve of(final List<Point> points)
    {
        if (points.isEmpty())
        {
            throw new IllegalArgumentException("a crowd curve needs at least one level");
        }
        final long firstP99 = points.get(0).batch().latencyMicros().p99();
        final long lastP99 = points.get(points.size() - 1).batch().latencyMicros().p99();
        return new Curve(List.copyOf(points), firstP99 > 0 ? (double)lastP99 / firstP99 : 0, points.get(0).batch().lab());
    }

    public static String render(final Curve curve)
    {
        final StringBuilder out = new StringBuilder();
        final BatchReport first = curve.points().get(0).batch();
        out.append(String.format(Locale.ROOT, "Hatchery crowd: spawn latency with idle VMs alive in the process; each level: %d x %s, "
            + "concurrency %d, environment=%s%n", first.count(), first.kernel(), first.concurrency(), first.environment()));
        if (curve.lab())
        {
            out.append("!! timings are EMULATED (lab): compare levels with each other, not with native numbers !!").append(System.lineSeparator());
        }
        long maxP99 = 1;
        for (final Point point : curve.points())
        {
            maxP99 = Math.max(maxP99, point.batch().latencyMicros().p99());
        }
        out.append(String.format(Locale.ROOT, "%8s %10s %10s %10s %10s %9s %8s  %s%n", "alive", "p50 ms", "p99 ms", "created", "vcpu", "VMs/s",
            "booted", "p50 '#', p99 '-'"));
        for (final Point point : curve.points())
        {
            final BatchReport batch = point.batch();
            final LatencySummary latency = batch.latencyMicros();
            out.append(String.format(Locale.ROOT, "%8d %10s %10s %10s %10s %9.2f %8s  %s%n", point.alive(), Units.ms(latency.p50()),
                Units.ms(latency.p99()), phaseP50(batch, "vmCreated"), phaseP50(batch, "vcpuReady"), batch.throughputPerSecond(),
                batch.booted() + "/" + batch.count(), bar(latency.p50(), latency.p99(), maxP99)));
        }
        out.append(String.format(Locale.ROOT, "p99 with %d alive / p99 with %d alive: %.2f%n", curve.points().get(curve.points().size() - 1).alive(),
            curve.points().get(0).alive(), curve.p99Ratio()));
        out.append("(created, vcpu: p50 ms from the request to the VM created and to the vCPU ready)").append(System.lineSeparator());
        return out.toString();
    }

    private static String phaseP50(final BatchReport batch, final String phase)
    {
        final LatencySummary summary = batch.phases().get(phase);
        return summary == null || summary.count() == 0 ? Units.NOT_AVAILABLE : Units.ms(summary.p50());
    }

    private static String bar(final long p50, final long p99, final long max)
    {
        final int full = (int)Math.round((double)p50 / max * BAR_WIDTH);
        final int tail = Math.max(0, (int)Math.round((double)p99 / max * BAR_WIDTH) - full);
        return "#".repeat(full) + "-".repeat(tail);
    }

    public static String json(final Curve curve)
    {
        try
        {
            return MAPPER.writeValueAsString(curve) + System.lineSeparator();
        }
        catch (final JsonProcessingException ex)
        {
            throw new IllegalStateException("cannot serialise crowd curve (" + ex + ")", ex);
        }
    }

    public static void write(final Curve curve, final Path path) throws IOException
    {
        ReportFiles.writeAtomically(path, json(curve));
    }
}
