package dev.hatchery.orchestrator.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.Test;

class LatencySummaryTest
{
    /** 3 significant digits: HdrHistogram promises a relative error of at most 0.1%. */
    private static final double PRECISION = 0.001;

    @Test
    void shouldReportPercentilesInMicrosWithinHdrPrecisionWhenValuesAre1To1000Ms()
    {
        final Histogram histogram = new Histogram(3);
        for (long ms = 1; ms <= 1000; ms++)
        {
            histogram.recordValue(ms * 1_000_000);
        }

        final LatencySummary summary = LatencySummary.of(histogram);

        assertEquals(1000, summary.count());
        assertWithinPrecision(1_000, summary.min());
        assertWithinPrecision(500_500, summary.mean());
        assertWithinPrecision(500_000, summary.p50());
        assertWithinPrecision(900_000, summary.p90());
        assertWithinPrecision(990_000, summary.p99());
        assertWithinPrecision(999_000, summary.p999());
        assertWithinPrecision(1_000_000, summary.max());
    }

    @Test
    void shouldEndTheCurveAtTheMaxWhenSummarised()
    {
        final Histogram histogram = new Histogram(3);
        for (long ms = 1; ms <= 1000; ms++)
        {
            histogram.recordValue(ms * 1_000_000);
        }

        final List<LatencySummary.CurvePoint> curve = LatencySummary.of(histogram).curve();

        assertEquals(new LatencySummary.CurvePoint(100.0, LatencySummary.of(histogram).max()), curve.get(curve.size() - 1));
        for (int i = 1; i < curve.size(); i++)
        {
            assertTrue(curve.get(i).percentile() >= curve.get(i - 1).percentile(), "percentiles ascend at i=" + i);
            assertTrue(curve.get(i).valueMicros() >= curve.get(i - 1).valueMicros(), "values ascend at i=" + i);
        }
    }

    @Test
    void shouldKeepTheCurveWithinTheCapWhenSamplesAreMany()
    {
        final Histogram histogram = new Histogram(3);
        for (long i = 1; i <= 1_000_000; i++)
        {
            histogram.recordValue(i * 997);
        }

        final LatencySummary summary = LatencySummary.of(histogram);

        assertTrue(summary.curve().size() <= LatencySummary.MAX_CURVE_POINTS, "points=" + summary.curve().size());
        assertTrue(summary.curve().stream().anyMatch(point -> point.percentile() > 99.99), "the tail is kept");
    }

    @Test
    void shouldBeEmptyWhenTheHistogramIsEmpty()
    {
        assertSame(LatencySummary.empty(), LatencySummary.of(new Histogram(3)));
        assertEquals(new LatencySummary(0, 0, 0.0, 0, 0, 0, 0, 0, List.of()), LatencySummary.empty());
    }

    @Test
    void shouldRoundNanosToTheNearestMicroWhenConverting()
    {
        assertEquals(1, LatencySummary.micros(1_499));
        assertEquals(2, LatencySummary.micros(1_500));
        assertEquals(0, LatencySummary.micros(0));
    }

    private static void assertWithinPrecision(final double expected, final double actual)
    {
        final double tolerance = expected * PRECISION;
        assertEquals(expected, actual, tolerance, "expected " + expected + " +/- " + tolerance + " but was " + actual);
    }
}
