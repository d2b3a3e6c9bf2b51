package dev.hatchery.orchestrator.report;

import java.util.ArrayList;
import java.util.List;

import org.HdrHistogram.Histogram;
import org.HdrHistogram.HistogramIterationValue;

/**
 * One latency distribution in microseconds: the usual percentiles and a percentile curve to plot.
 * Values come from an HdrHistogram, so each is the highest value equivalent to the recorded ones at the
 * histogram's precision (it never under-reports); {@code mean} is the histogram's mean.
 */
public record LatencySummary(long count, long min, double mean, long p50, long p90, long p99, long p999, long max,
    List<CurvePoint> curve)
{
    /** Percentile iteration resolution: 5 points for each halving of the distance to 100%. */
    static final int TICKS_PER_HALF_DISTANCE = 5;
    /** Enough for a smooth chart; a million samples yield about 110 points before thinning. */
    static final int MAX_CURVE_POINTS = 200;

    private static final LatencySummary EMPTY = new LatencySummary(0, 0, 0.0, 0, 0, 0, 0, 0, List.of());

    /** One point of the percentile curve: {@code percentile} of the samples took at most {@code valueMicros}. */
    public record CurvePoint(double percentile, long valueMicros)
    {
    }

    public LatencySummary
    {
        curve = curve == null ? List.of() : List.copyOf(curve);
    }

    public static LatencySummary empty()
    {
        return EMPTY;
    }

    /** Summarises a histogram whose values are nanoseconds; an empty histogram gives {@link #empty()}. */
    public static LatencySummary of(final Histogram histogramOfNanos)
    {
        final long count = histogramOfNanos.getTotalCount();
        if (count == 0)
        {
            return EMPTY;
        }
        return new LatencySummary(
            count,
            micros(histogramOfNanos.getMinValue()),
            histogramOfNanos.getMean() / 1_000.0,
            micros(histogramOfNanos.getValueAtPercentile(50.0)),
            micros(histogramOfNanos.getValueAtPercentile(90.0)),
            micros(histogramOfNanos.getValueAtPercentile(99.0)),
            micros(histogramOfNanos.getValueAtPercentile(99.9)),
            micros(histogramOfNanos.getMaxValue()),
            curve(histogramOfNanos));
    }

    private static List<CurvePoint> curve(final Histogram histogramOfNanos)
    {
        final List<CurvePoint> points = new ArrayList<>();
        for (final HistogramIterationValue value : histogramOfNanos.percentiles(TICKS_PER_HALF_DISTANCE))
        {
            points.add(new CurvePoint(value.getPercentileLevelIteratedTo(), micros(value.getValueIteratedTo())));
        }
        final List<CurvePoint> thinned = thin(points);
        // The iteration ends at the last recorded value, but say so explicitly: the chart's right edge is the max.
        final CurvePoint maxPoint = new CurvePoint(100.0, micros(histogramOfNanos.getMaxValue()));
        if (thinned.isEmpty() || !thinned.get(thinned.size() - 1).equals(maxPoint))
        {
            thinned.add(maxPoint);
        }
        return thinned;
    }

    /** Keeps at most MAX_CURVE_POINTS - 1 points, evenly by index, so the dense tail stays dense. */
    private static List<CurvePoint> thin(final List<CurvePoint> points)
    {
        final int keep = MAX_CURVE_POINTS - 1;
        if (points.size() <= keep)
        {
            return points;
        }
        final List<CurvePoint> thinned = new ArrayList<>(keep + 1);
        for (int i = 0; i < keep; i++)
        {
            thinned.add(points.get((int)((long)i * (points.size() - 1) / (keep - 1))));
        }
        return thinned;
    }

    /** Nanoseconds to the nearest microsecond. */
    static long micros(final long nanos)
    {
        return Math.round(nanos / 1_000.0);
    }
}
