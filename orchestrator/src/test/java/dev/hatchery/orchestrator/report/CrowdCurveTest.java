package dev.hatchery.orchestrator.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import org.junit.jupiter.api.Test;

class CrowdCurveTest
{
    private static BatchReport batch(final long p50, final long p99, final boolean lab)
    {
        final Map<String, LatencySummary> phases = new LinkedHashMap<>();
        phases.put("vmCreated", Reports.latency(200, p50 / 4, p50 / 3, p50 / 2, p50 / 2, p50 / 2));
        phases.put("vcpuReady", Reports.latency(200, p50 / 2, p50 / 2, p50, p50, p50));
        return new BatchReport("flat", 200, 1, "template", 200, 0, 0, 0, 10.0, 20.0, Reports.latency(200, p50, p99, p99, p99, p99),
            phases, Map.of(), 1.0, 100L << 20, 1L << 20, 1L << 18, 3L << 18, List.of(), Map.of("shell", 200), lab, lab ? "lab (emulated)" : "native KVM",
            "2026-11-30T00:00:00Z", "boot", null);
    }

    @Test
    void shouldPrintOneRowPerLevelWithItsBarAndTheP99RatioOfTheLastLevelToTheFirst()
    {
        final CrowdCurve.Curve curve = CrowdCurve.of(List.of(new CrowdCurve.Point(0, batch(10_000, 20_000, true)),
            new CrowdCurve.Point(100, batch(11_000, 22_000, true)), new CrowdCurve.Point(1000, batch(12_000, 40_000, true))));

        final String text = CrowdCurve.render(curve);

        assertEquals(2.0, curve.p99Ratio(), 1e-9);
        assertTrue(text.contains("!! timings are EMULATED (lab)"), text);
        assertTrue(text.contains("       0     10.000     20.000      2.500      5.000     20.00  200/200  ##########----------\n"), text);
        assertTrue(text.contains("    1000     12.000     40.000      3.000      6.000     20.00  200/200  ############----------------------------\n"),
            text);
        assertTrue(text.contains("p99 with 1000 alive / p99 with 0 alive: 2.00"), text);
    }

    @Test
    void shouldWriteTheLevelsAndTheirBatchReportsAsJson() throws Exception
    {
        final CrowdCurve.Curve curve = CrowdCurve.of(List.of(new CrowdCurve.Point(0, batch(10_000, 20_000, false)),
            new CrowdCurve.Point(1000, batch(10_000, 30_000, false))));

        final JsonNode json = new ObjectMapper().readTree(CrowdCurve.json(curve));

        assertEquals(1000, json.get("points").get(1).get("alive").asInt());
        assertEquals(30_000, json.get("points").get(1).get("batch").get("latencyMicros").get("p99").asLong());
        assertEquals(1.5, json.get("p99Ratio").asDouble(), 1e-9);
        assertEquals(false, json.get("lab").asBoolean());
    }

    @Test
    void shouldRefuseAnEmptyCurve()
    {
        final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, () -> CrowdCurve.of(List.of()));
        assertEquals("a crowd curve needs at least one level", ex.getMessage());
    }
}
