package dev.hatchery.orchestrator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hatchery.vm.Phase;
import dev.hatchery.vm.Timeline;
import dev.hatchery.vm.VmOutcome;
import dev.hatchery.vm.VmResult;

import org.junit.jupiter.api.Test;

class ServiceMetricsTest
{
    private final ServiceMetrics metrics = new ServiceMetrics();

    private static VmResult booted(final long bootNanos)
    {
        final Timeline timeline = new Timeline();
        timeline.mark(Phase.REQUEST, 1_000_000_000L);
        timeline.mark(Phase.BOOT_COMPLETE, 1_000_000_000L + bootNanos);
        return new VmResult("vm", VmOutcome.booted("stopped by request"), timeline, "", 0);
    }

    @Test
    void shouldCountRunningSpawnedAndEndedVms()
    {
        metrics.vmStarted();
        metrics.vmStarted();
        metrics.vmEnded(booted(2_000_000), true, ServiceMetrics.FailureReason.GUEST);

        assertEquals(1, metrics.running());
        assertEquals(2, metrics.spawned());
        assertTrue(metrics.render().contains("hatchery_vms_running 1\n"));
        assertTrue(metrics.render().contains("hatchery_vms_ended_total{outcome=\"booted\"} 1\n"));
    }

    @Test
    void shouldCountFailuresByReasonAndTimeoutsAsTimeouts()
    {
        metrics.vmEnded(new VmResult("a", VmOutcome.failed("no kernel"), new Timeline(), "", 0), false, ServiceMetrics.FailureReason.PREPARATION);
        metrics.vmEnded(new VmResult("b", VmOutcome.timedOut("10 s"), new Timeline(), "", 0), false, ServiceMetrics.FailureReason.GUEST);
        metrics.vmEnded(new VmResult("c", VmOutcome.cancelled("by request"), new Timeline(), "", 0), false, ServiceMetrics.FailureReason.GUEST);

        assertEquals(1, metrics.failures(ServiceMetrics.FailureReason.PREPARATION));
        assertEquals(1, metrics.failures(ServiceMetrics.FailureReason.TIMEOUT));
        assertEquals(0, metrics.failures(ServiceMetrics.FailureReason.GUEST));
        assertTrue(metrics.render().contains("hatchery_vm_failures_total{reason=\"preparation\"} 1\n"));
        assertTrue(metrics.render().contains("hatchery_vms_ended_total{outcome=\"cancelled\"} 1\n"));
        assertEquals(0, metrics.running());
    }

    @Test
    void shouldFillTheBootHistogramCumulatively()
    {
        metrics.vmEnded(booted(80_000), false, ServiceMetrics.FailureReason.GUEST);
        metrics.vmEnded(booted(3_000_000), false, ServiceMetrics.FailureReason.GUEST);
        metrics.vmEnded(booted(90_000_000_000L), false, ServiceMetrics.FailureReason.GUEST);

        final String text = metrics.render();

        assertTrue(text.contains("hatchery_boot_latency_seconds_bucket{le=\"0.0001\"} 1\n"), text);
        assertTrue(text.contains("hatchery_boot_latency_seconds_bucket{le=\"0.0025\"} 1\n"), text);
        assertTrue(text.contains("hatchery_boot_latency_seconds_bucket{le=\"0.005\"} 2\n"), text);
        assertTrue(text.contains("hatchery_boot_latency_seconds_bucket{le=\"60\"} 2\n"), text);
        assertTrue(text.contains("hatchery_boot_latency_seconds_bucket{le=\"+Inf\"} 3\n"), text);
        assertTrue(text.contains("hatchery_boot_latency_seconds_count 3\n"), text);
        assertTrue(text.contains("hatchery_boot_latency_seconds_sum 90.003080\n"), text);
    }
}
