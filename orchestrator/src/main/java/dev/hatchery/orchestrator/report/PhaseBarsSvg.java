package dev.hatchery.orchestrator.report;

import static dev.hatchery.orchestrator.report.Markup.coord;
import static dev.hatchery.orchestrator.report.Markup.escape;

import java.util.Map;

/**
 * The per-phase breakdown as inline SVG: for each phase, in the order phases happen, a p50 bar and a p99
 * bar of the time from the VM request. Reading down the rows shows where boot time goes; the gap between
 * the two bars shows which phase the tail comes from.
 */
final class PhaseBarsSvg
{
    private static final int WIDTH = 720;
    private static final int LEFT = 130;
    private static final int RIGHT = 90;
    private static final int TOP = 34;
    private static final int BOTTOM = 44;
    private static final int ROW = 34;
    private static final int BAR = 12;
    private static final double PLOT_WIDTH = WIDTH - LEFT - RIGHT;
    private static final String P50_COLOUR = "#3b6ea5";
    private static final String P99_COLOUR = "#e0893a";

    private PhaseBarsSvg()
    {
    }

    static String render(final Map<String, LatencySummary> phases, final boolean lab)
    {
        final int height = TOP + Math.max(1, phases.size()) * ROW + BOTTOM;
        final StringBuilder svg = new StringBuilder();
        svg.append("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"").append(WIDTH).append("\" height=\"")
            .append(height).append("\" viewBox=\"0 0 ").append(WIDTH).append(' ').append(height)
            .append("\" role=\"img\" aria-label=\"time from the VM request to each phase, p50 and p99\">\n");
        if (phases.isEmpty())
        {
            svg.append("<text x=\"").append(WIDTH / 2).append("\" y=\"").append(height / 2)
                .append("\" text-anchor=\"middle\">no phase reached</text>\n</svg>\n");
            return svg.toString();
        }
        final double maxMs = phases.values().stream().mapToLong(LatencySummary::p99).max().orElse(0) / 1_000.0;
        final NiceScale scale = NiceScale.covering(maxMs, 5);
        legend(svg, lab);
        axis(svg, scale, height);
        int row = 0;
        for (final Map.Entry<String, LatencySummary> phase : phases.entrySet())
        {
            final double rowTop = TOP + row * ROW;
            svg.append("<text x=\"").append(LEFT - 8).append("\" y=\"").append(coord(rowTop + ROW / 2.0))
                .append("\" text-anchor=\"end\" dominant-baseline=\"middle\">").append(escape(Units.phaseLabel(phase.getKey())))
                .append("</text>\n");
            bar(svg, rowTop + 4, phase.getValue().p50(), scale, P50_COLOUR, "p50");
            bar(svg, rowTop + 4 + BAR + 2, phase.getValue().p99(), scale, P99_COLOUR, "p99");
            row++;
        }
        svg.append("</svg>\n");
        return svg.toString();
    }

    private static void bar(final StringBuilder svg, final double top, final long micros, final NiceScale scale,
        final String colour, final String name)
    {
        final double width = micros / 1_000.0 / scale.top() * PLOT_WIDTH;
        svg.append("<rect x=\"").append(LEFT).append("\" y=\"").append(coord(top)).append("\" width=\"")
            .append(coord(width)).append("\" height=\"").append(BAR).append("\" fill=\"").append(colour)
            .append("\"><title>").append(name).append(' ').append(Units.ms(micros)).append(" ms</title></rect>\n");
        svg.append("<text x=\"").append(coord(LEFT + width + 4)).append("\" y=\"").append(coord(top + BAR / 2.0))
            .append("\" dominant-baseline=\"middle\" class=\"value\">").append(Units.ms(micros)).append("</text>\n");
    }

    private static void legend(final StringBuilder svg, final boolean lab)
    {
        svg.append("<rect x=\"").append(LEFT).append("\" y=\"8\" width=\"12\" height=\"12\" fill=\"").append(P50_COLOUR)
            .append("\"/><text x=\"").append(LEFT + 16).append("\" y=\"18\">p50</text>\n");
        svg.append("<rect x=\"").append(LEFT + 60).append("\" y=\"8\" width=\"12\" height=\"12\" fill=\"")
            .append(P99_COLOUR).append("\"/><text x=\"").append(LEFT + 76).append("\" y=\"18\">p99</text>\n");
        if (lab)
        {
            svg.append("<text x=\"").append(WIDTH - 8).append("\" y=\"18\" text-anchor=\"end\" class=\"lab-note\">")
                .append("EMULATED (lab) timings</text>\n");
        }
    }

    private static void axis(final StringBuilder svg, final NiceScale scale, final int height)
    {
        final int baseline = height - BOTTOM;
        for (int i = 0; i <= scale.steps(); i++)
        {
            final String x = coord(LEFT + scale.tick(i) / scale.top() * PLOT_WIDTH);
            svg.append("<line x1=\"").append(x).append("\" y1=\"").append(TOP).append("\" x2=\"").append(x)
                .append("\" y2=\"").append(baseline).append("\" class=\"grid\"/>\n");
            svg.append("<text x=\"").append(x).append("\" y=\"").append(baseline + 16)
                .append("\" text-anchor=\"middle\">").append(escape(scale.label(i))).append("</text>\n");
        }
        svg.append("<text x=\"").append(coord(LEFT + PLOT_WIDTH / 2)).append("\" y=\"").append(height - 8)
            .append("\" text-anchor=\"middle\">time from the VM request (ms)</text>\n");
    }
}
