package dev.hatchery.orchestrator.report;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

class FloorReportTest
{
    private static final double EPSILON = 1e-9;
    private static final FloorReport.Target BOOT_TARGET =
        new FloorReport.Target("flat spawn\u2192boot-complete p50 \u2264 1.0\u00d7 C", "Hatchery", FloorReport.Figure.BOOT_P50, 1.0, false);
    private static final FloorReport.Target THROUGHPUT_TARGET =
        new FloorReport.Target("throughput \u2265 1.0\u00d7 C", "Hatchery", FloorReport.Figure.THROUGHPUT, 1.0, true);
    private static final FloorReport.Target SHELLS_TARGET =
        new FloorReport.Target("with shells \u2264 0.25\u00d7 C", "Hatchery+shells", FloorReport.Figure.BOOT_P50, 0.25, false);

    /** A round of a flat batch: boot p50 and p99 in µs, memory ready p50 in µs, throughput. */
    private static BatchReport round(final long bootP50, final long bootP99, final long memoryReadyP50, final double throughput)
    {
        final Map<String, LatencySummary> phases = new LinkedHashMap<>();
        phases.put("memoryReady", Reports.latency(10, memoryReadyP50, memoryReadyP50, memoryReadyP50, memoryReadyP50, memoryReadyP50));
        phases.put("bootComplete", Reports.latency(10, bootP50, bootP99, bootP99, bootP99, bootP99));
        return new BatchReport("flat", 10, 1, "template", 10, 0, 0, 0, 10 / throughput, throughput,
            Reports.latency(10, bootP50, bootP99, bootP99, bootP99, bootP99), phases, Map.of(), -1, -1, -1, -1, -1, List.of(), Map.of(), true, "lab (emulated)",
            "2025-01-02T03:04:05Z", "boot", null);
    }

    private static FloorReport report()
    {
        // Medians: C boot p50 40 ms, p99 60 ms, throughput 20; Hatchery 50 ms, 90 ms, 16.
        final FloorReport.Variant c = new FloorReport.Variant("C VMM",
            List.of(round(40_000, 60_000, 10, 20.0), round(44_000, 70_000, 12, 18.0), round(38_000, 50_000, 8, 25.0)));
        final FloorReport.Variant hatchery = new FloorReport.Variant("Hatchery",
            List.of(round(50_000, 90_000, 100, 16.0), round(60_000, 80_000, 200, 14.0), round(48_000, 95_000, 150, 17.0)));
        return new FloorReport(10, 1, 3, true, "lab (emulated)", List.of(c, hatchery), List.of(BOOT_TARGET, THROUGHPUT_TARGET, SHELLS_TARGET),
            List.of("shells: not available in this build"));
    }

    @Test
    void shouldTakeTheMedianOverRoundsOfEachRoundsFigure()
    {
        final FloorReport report = report();

        assertEquals(40.0, report.baseline().median(FloorReport.Figure.BOOT_P50::of), EPSILON);
        assertEquals(60.0, report.baseline().median(FloorReport.Figure.BOOT_P99::of), EPSILON);
        assertEquals(20.0, report.baseline().median(FloorReport.Figure.THROUGHPUT::of), EPSILON);
        assertEquals(0.150, FloorReport.phaseP50Ms(report.variant("Hatchery"), "memoryReady"), EPSILON);
        assertEquals(2.5, FloorReport.median(new double[] {3, 1, 2, 4}), EPSILON);
        assertTrue(Double.isNaN(FloorReport.median(new double[0])));
    }

    @Test
    void shouldDivideTheVariantsMedianByTheBaselinesForTheRatio()
    {
        final FloorReport report = report();
        final FloorReport.Variant hatchery = report.variant("Hatchery");

        assertEquals(50.0 / 40.0, report.ratio(hatchery, FloorReport.Figure.BOOT_P50), EPSILON);
        assertEquals(16.0 / 20.0, report.ratio(hatchery, FloorReport.Figure.THROUGHPUT), EPSILON);
        assertArrayEquals(new double[] {50.0 / 40.0, 60.0 / 44.0, 48.0 / 38.0}, report.roundRatios(hatchery, FloorReport.Figure.BOOT_P50), EPSILON);
    }

    @Test
    void shouldMeetAnAtMostTargetOnlyAtOrBelowItsLimitAndAnAtLeastTargetOnlyAtOrAboveIt()
    {
        assertTrue(BOOT_TARGET.met(1.0));
        assertFalse(BOOT_TARGET.met(1.01));
        assertTrue(THROUGHPUT_TARGET.met(1.0));
        assertFalse(THROUGHPUT_TARGET.met(0.99));
        assertFalse(THROUGHPUT_TARGET.met(Double.NaN));
    }

    @Test
    void shouldRenderEachFigureSideBySideWithTheRatioToTheCVmm()
    {
        final List<String> lines = TerminalReport.render(report()).lines().toList();
        final String text = String.join("\n", lines);

        assertTrue(lines.get(0).startsWith("Floor: C VMM vs Hatchery on the flat guest: 10 VMs per variant per round, 1 in flight"
            + " (C: 1 process, the count split between them), 3 rounds, variants in turns; environment=lab (emulated)"), lines.get(0));
        assertTrue(text.contains("!! timings are EMULATED (lab)"), text);
        assertTrue(lines.contains("median over rounds                             C VMM            Hatchery       \u00d7C"), text);
        assertTrue(lines.contains("from request, p50 (ms)"), text);
        assertTrue(lines.contains("  memory ready                                 0.010               0.150   15.00x"), text);
        assertTrue(lines.contains("  Booted                                      40.000              50.000    1.25x"), text);
        assertTrue(lines.contains("spawn\u2192boot-complete p50 (ms)                  40.000              50.000    1.25x"), text);
        assertTrue(lines.contains("spawn\u2192boot-complete p99 (ms)                  60.000              90.000    1.50x"), text);
        assertTrue(lines.contains("throughput (VMs/s)                             20.00               16.00    0.80x"), text);
        assertTrue(lines.contains("booted / VMs                                   30/30               30/30         "), text);
        assertTrue(lines.contains("  Hatchery           boot p50 1.25x 1.36x 1.26x   throughput 0.80x 0.78x 0.68x"), text);
    }

    @Test
    void shouldReportEachTargetAsMetMissedOrNotMeasuredAndShowTheNotes()
    {
        final String text = TerminalReport.render(report());

        assertTrue(text.contains("targets (reported, not asserted)"), text);
        assertTrue(text.contains("  flat spawn\u2192boot-complete p50 \u2264 1.0\u00d7 C                      Hatchery              1.25x  missed"), text);
        assertTrue(text.contains("  throughput \u2265 1.0\u00d7 C                                        Hatchery              0.80x  missed"), text);
        assertTrue(text.contains("  with shells \u2264 0.25\u00d7 C                                      Hatchery+shells           -  not measured"), text);
        assertTrue(text.endsWith("shells: not available in this build" + System.lineSeparator()), text);
    }

    @Test
    void shouldShowADashWhereAFigureWasNotMeasured()
    {
        final FloorReport.Variant c = new FloorReport.Variant("C VMM", List.of(Reports.nothingBooted()));
        final FloorReport.Variant hatchery = new FloorReport.Variant("Hatchery", List.of(round(50_000, 90_000, 100, 16.0)));
        final String text = TerminalReport.render(new FloorReport(2, 2, 1, false, "native KVM", List.of(c, hatchery), List.of(), List.of()));

        assertTrue(text.contains("spawn\u2192boot-complete p50 (ms)                       -              50.000        -"), text);
        assertTrue(text.contains("booted / VMs                                     0/2               10/10"), text);
        assertFalse(text.contains("EMULATED"), text);
        assertFalse(text.contains("each round"), text);
    }
}
