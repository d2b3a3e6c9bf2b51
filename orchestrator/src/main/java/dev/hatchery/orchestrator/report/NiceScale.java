package dev.hatchery.orchestrator.report;

import java.math.BigDecimal;

/**
 * A linear axis from 0 in steps of 1, 2 or 5 times a power of ten, so tick labels read as round numbers.
 * The step is a BigDecimal so that labels print as "0.3", not "0.30000000000000004".
 */
record NiceScale(BigDecimal step, int steps)
{
    /** The scale whose top is the first round tick at or above {@code max}, with about {@code targetSteps} steps. */
    static NiceScale covering(final double max, final int targetSteps)
    {
        if (!(max > 0) || Double.isInfinite(max))
        {
            return new NiceScale(BigDecimal.ONE, 1);
        }
        final double raw = max / targetSteps;
        final int exponent = (int)Math.floor(Math.log10(raw));
        final double fraction = raw / Math.pow(10, exponent);
        final int digit = fraction <= 1 ? 1 : fraction <= 2 ? 2 : fraction <= 5 ? 5 : 10;
        final BigDecimal step = BigDecimal.valueOf(digit).scaleByPowerOfTen(exponent);
        final int steps = (int)Math.ceil(max / step.doubleValue() - 1e-9);
        return new NiceScale(step, Math.max(1, steps));
    }

    double top()
    {
        return step.doubleValue() * steps;
    }

    double tick(final int i)
    {
        return step.multiply(BigDecimal.valueOf(i)).doubleValue();
    }

    String label(final int i)
    {
        final BigDecimal tick = step.multiply(BigDecimal.valueOf(i));
        return tick.signum() == 0 ? "0" : tick.stripTrailingZeros().toPlainString();
    }
}
