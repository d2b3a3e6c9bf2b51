package dev.hatchery.orchestrator.report;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Hand-built reports with exact figures, for the renderers. */
final class Reports
{
    static final long MIB = 1024 * 1024;

    private Reports()
    {
    }

    static LatencySummary latency(final long count, final long p50, final long p90, final long p99, final long p999,
        final long max)
    {
        return new LatencySummary(count, p50 / 2, p50 * 1.1, p50, p90, p99, p999, max, List.of(
            new LatencySummary.CurvePoint(0.0, p50 / 2),
            new LatencySummary.CurvePoint(50.0, p50),
            new LatencySummary.CurvePoint(90.0, p90),
            new LatencySummary.CurvePoint(99.0, p99),
            new LatencySummary.CurvePoint(99.9, p999),
            new LatencySummary.CurvePoint(100.0, max)));
    }

    static BatchReport sample(final boolean lab, final List<FailureGroup> failures)
    {
        final Map<String, LatencySummary> phases = new LinkedHashMap<>();
        phases.put("memoryReady", latency(1000, 120, 150, 210, 300, 420));
        phases.put("kernelLoaded", latency(1000, 480, 530, 700, 900, 1100));
        phases.put("kernelEntry", latency(1000, 600, 640, 800, 1000, 1200));
        phases.put("initStarted", latency(998, 1100, 2200, 3300, 4400, 5500));
        phases.put("bootComplete", latency(997, 1234, 2345, 3456, 4567, 5678));
        final Map<String, LatencySummary> spans = new LinkedHashMap<>();
        spans.put("vmm", latency(1000, 600, 640, 800, 1000, 1200));
        spans.put("guest", latency(997, 634, 1705, 2656, 3567, 4478));
        spans.put("kernel", latency(998, 500, 1560, 2500, 3400, 4300));
        spans.put("init", latency(997, 134, 145, 156, 167, 178));
        return new BatchReport("linux", 1000, 64, "private", 997, 2, 1, 0, 12.5, 79.76,
            latency(997, 1234, 2345, 3456, 4567, 5678), phases, spans, 20.25, 512 * MIB, 4 * MIB, MIB / 4, 3 * MIB + 3 * MIB / 4, failures, Map.of("shell", 990, "direct", 10), lab,
            lab ? "lab (emulated by TCG)" : "native KVM", "2025-01-02T03:04:05Z", "boot", null);
    }

    /** Nobody booted: empty latency, no phases. */
    static BatchReport nothingBooted()
    {
        return new BatchReport("flat", 2, 2, "private", 0, 0, 2, 0, 1.0, 0.0, LatencySummary.empty(), Map.of(), Map.of(),
            -1, -1, -1, -1, -1, List.of(new FailureGroup("boot_timeout", "timeout", "no boot-complete within 100 ms", 2, "vm-0", "")), Map.of(), false, "native KVM", "2025-01-02T03:04:05Z", "boot", null);
    }
}
