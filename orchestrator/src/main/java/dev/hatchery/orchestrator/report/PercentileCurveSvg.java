package dev.hatchery.orchestrator.report;

import static dev.hatchery.orchestrator.report.Markup.coord;
import static dev.hatchery.orchestrator.report.Markup.escape;

/**
 * The spawn→boot-complete percentile curve as inline SVG. The x axis counts "nines", x = -log10(1 - p/100),
 * so 0, 90, 99 and 99.9 are evenly spaced and the tail, where boot storms hurt, gets as much room as the
 * median. The y axis is linear milliseconds.
 */
final class PercentileCurveSvg
{
    /** Beyond six nines a batch would need millions of VMs for the point to mean anything. */
    static final int MAX_NINES = 6;

    private static final int WIDTH = 720;
    private static final int HEIGHT = 360;
    private static final int LEFT = 70;
    private static final int RIGHT = 24;
    private static final int TOP = 24;
    private static final int BOTTOM = 56;
    private static final double PLOT_WIDTH = WIDTH - LEFT - RIGHT;
    private static final double PLOT_HEIGHT = HEIGHT - TOP - BOTTOM;

    private PercentileCurveSvg()
    {
    }

    static String render(final LatencySummary latency, final boolean lab)
    {
        final StringBuilder svg = new StringBuilder();
        svg.append("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"").append(WIDTH).append("\" height=\"")
            .append(HEIGHT).append("\" viewBox=\"0 0 ").append(WIDTH).append(' ').append(HEIGHT)
            .append("\" role=\"img\" aria-label=\"spawn to boot-complete latency by percentile\">\n");
        if (latency.count() == 0 || latency.curve().isEmpty())
        {
            svg.append("<text x=\"").append(WIDTH / 2).append("\" y=\"").append(HEIGHT / 2)
                .append("\" text-anchor=\"middle\">no VM reached boot-complete</text>\n</svg>\n");
            return svg.toString();
        }
        final int nines = nines(latency.count());
        final NiceScale yScale = NiceScale.covering(latency.max() / 1_000.0, 5);
        xAxis(svg, nines);
        yAxis(svg, yScale);
        svg.append("<polyline class=\"curve\" fill=\"none\" stroke=\"#3b6ea5\" stroke-width=\"2\" points=\"");
        for (final LatencySummary.CurvePoint point : latency.curve())
        {
            svg.append(coord(x(point.percentile(), nines))).append(',')
                .append(coord(y(point.valueMicros() / 1_000.0, yScale))).append(' ');
        }
        svg.append("\"/>\n");
        if (lab)
        {
            svg.append("<text x=\"").append(WIDTH - RIGHT).append("\" y=\"").append(TOP + 16)
                .append("\" text-anchor=\"end\" class=\"lab-note\">EMULATED (lab) timings</text>\n");
        }
        svg.append("</svg>\n");
        return svg.toString();
    }

    /** How many nines the x axis spans: about as many as the sample count can support, at least 1. */
    static int nines(final long count)
    {
        final int supported = (int)Math.ceil(Math.log10(Math.max(1, count)));
        return Math.max(1, Math.min(MAX_NINES, supported));
    }

    /** Percentile to x pixel; 100% and anything past the last nine sit at the right edge. */
    static double x(final double percentile, final int nines)
    {
        final double n = percentile >= 100.0 ? nines : Math.min(nines, -Math.log10(1.0 - percentile / 100.0));
        return LEFT + Math.max(0.0, n) / nines * PLOT_WIDTH;
    }

    private static double y(final double ms, final NiceScale scale)
    {
        return TOP + PLOT_HEIGHT - ms / scale.top() * PLOT_HEIGHT;
    }

    /** The label at k nines: 0, 90, 99, 99.9, ... */
    static String ninesLabel(final int k)
    {
        if (k == 0)
        {
            return "0";
        }
        final String digits = "9".repeat(k);
        return k <= 2 ? digits + (k == 1 ? "0" : "") : digits.substring(0, 2) + "." + digits.substring(2);
    }

    private static void xAxis(final StringBuilder svg, final int nines)
    {
        final double baseline = TOP + PLOT_HEIGHT;
        for (int k = 0; k <= nines; k++)
        {
            final String x = coord(LEFT + (double)k / nines * PLOT_WIDTH);
            svg.append("<line x1=\"").append(x).append("\" y1=\"").append(TOP).append("\" x2=\"").append(x)
                .append("\" y2=\"").append(coord(baseline)).append("\" class=\"grid\"/>\n");
            svg.append("<text x=\"").append(x).append("\" y=\"").append(coord(baseline + 18))
                .append("\" text-anchor=\"middle\">").append(escape(ninesLabel(k))).append("</text>\n");
        }
        svg.append("<text x=\"").append(coord(LEFT + PLOT_WIDTH / 2)).append("\" y=\"").append(HEIGHT - 12)
            .append("\" text-anchor=\"middle\">percentile (%), nines scale</text>\n");
    }

    private static void yAxis(final StringBuilder svg, final NiceScale scale)
    {
        for (int i = 0; i <= scale.steps(); i++)
        {
            final String y = coord(y(scale.tick(i), scale));
            svg.append("<line x1=\"").append(LEFT).append("\" y1=\"").append(y).append("\" x2=\"")
                .append(coord(LEFT + PLOT_WIDTH)).append("\" y2=\"").append(y).append("\" class=\"grid\"/>\n");
            svg.append("<text x=\"").append(LEFT - 6).append("\" y=\"").append(y)
                .append("\" text-anchor=\"end\" dominant-baseline=\"middle\">").append(escape(scale.label(i)))
                .append("</text>\n");
        }
        svg.append("<text transform=\"translate(16 ").append(coord(TOP + PLOT_HEIGHT / 2))
            .append(") rotate(-90)\" text-anchor=\"middle\">latency (ms)</text>\n");
    }
}
