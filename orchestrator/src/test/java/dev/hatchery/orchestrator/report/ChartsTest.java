package dev.hatchery.orchestrator.report;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.math.BigDecimal;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ChartsTest
{
    @ParameterizedTest(name = "max={0} -> step={1} steps={2} top label={3}")
    @CsvSource({
        "7.3,   2,   4, 8",
        "0.27,  0.1, 3, 0.3",
        "1000,  200, 5, 1000",
        "1234,  500, 3, 1500",
        "0,     1,   1, 1",
        "-5,    1,   1, 1",
    })
    void shouldPickRoundTicksWhenScalingAnAxis(final double max, final String step, final int steps, final String topLabel)
    {
        final NiceScale scale = NiceScale.covering(max, 5);

        assertEquals(new BigDecimal(step).stripTrailingZeros(), scale.step().stripTrailingZeros());
        assertEquals(steps, scale.steps());
        assertEquals(topLabel, scale.label(steps));
        assertEquals("0", scale.label(0));
    }

    @ParameterizedTest(name = "{0} nines -> {1}")
    @CsvSource({"0, 0", "1, 90", "2, 99", "3, 99.9", "4, 99.99", "6, 99.9999"})
    void shouldLabelNinesAsPercentilesWhenDrawingTheXAxis(final int nines, final String label)
    {
        assertEquals(label, PercentileCurveSvg.ninesLabel(nines));
    }

    @ParameterizedTest(name = "count={0} -> {1} nines")
    @CsvSource({"1, 1", "10, 1", "11, 2", "1000, 3", "1001, 4", "1000000000, 6"})
    void shouldSpanAsManyNinesAsTheSamplesSupportWhenSizingTheXAxis(final long count, final int nines)
    {
        assertEquals(nines, PercentileCurveSvg.nines(count));
    }

    @ParameterizedTest(name = "p{0} of 3 nines -> x={1}")
    @CsvSource({"0, 70", "90, 278.667", "99, 487.333", "99.9, 696", "99.99, 696", "100, 696"})
    void shouldPlacePercentilesOnTheNinesScaleWhenPlotting(final double percentile, final double x)
    {
        assertEquals(x, PercentileCurveSvg.x(percentile, 3), 0.01);
    }
}
