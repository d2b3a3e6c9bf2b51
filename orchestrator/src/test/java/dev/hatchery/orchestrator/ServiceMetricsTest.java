package dev.hatchery.orchestrator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hatchery.vm.Phase;
import dev.hatchery.vm.Timeline;
import dev.hatchery.vm.VmFailure;
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
        metrics.vmEnded(booted(2_000_000), true);

        assertEquals(1, metrics.running());
        assertEquals(2, metrics.spawned());
        assertTrue(metrics.render().contains("hatchery_vms_running 1\n"));
        assertTrue(metrics.render().contains("hatchery_vms_ended_total{outcome=\"booted\"} 1\n"));
    }

    @Test
    void shouldCountFailuresByReasonAndTimeoutsAsTimeouts()
    {
        metrics.vmEnded(ended("a", new VmFailure.KernelImage("no kernel")), false);
        metrics.vmEnded(ended("b", new VmFailure.BootTimeout(10_000)), false);
        metrics.vmEnded(ended("c", new VmFailure.Cancelled("stopped by request before boot-complete")), false);
        metrics.vmStarted();
        metrics.vmEnded(ended("d", new VmFailure.Stuck(10_000)), true);

        assertEquals(1, metrics.failures(VmFailure.Stage.PREPARATION));
        assertEquals(1, metrics.failures(VmFailure.Stage.TIMEOUT));
        assertEquals(1, metrics.failures(VmFailure.Stage.HOST));
        assertEquals(0, metrics.failures(VmFailure.Stage.GUEST));
        assertEquals(0, metrics.failures(VmFailure.Stage.CANCELLED));
        assertTrue(metrics.render().contains("hatchery_vm_failures_total{reason=\"preparation\"} 1\n"));
        assertTrue(metrics.render().contains("hatchery_vm_failures_total{reason=\"host\"} 1\n"));
        assertFalse(metrics.render().contains("reason=\"cancelled\""));
        assertTrue(metrics.render().contains("hatchery_vms_ended_total{outcome=\"cancelled\"} 1\n"));
        assertEquals(0, metrics.running());
    }

    @Test
    void shouldCountBuiltVmsBySpawnPathButNotVmsNeverBuilt()
    {
        final Timeline timeline = new Timeline();
        metrics.vmEnded(new VmResult("a", VmOutcome.booted("stopped by request"), timeline, "", 0, dev.hatchery.vm.SpawnPath.SHELL), true);
        metrics.vmEnded(new VmResult("b", VmOutcome.booted("stopped by request"), timeline, "", 0, dev.hatchery.vm.SpawnPath.SHELL), true);
        metrics.vmEnded(new VmResult("c", VmOutcome.booted("stopped by request"), timeline, "", 0, dev.hatchery.vm.SpawnPath.DIRECT), true);
        metrics.vmEnded(new VmResult("e", VmOutcome.booted("stopped by request"), timeline, "", 0, dev.hatchery.vm.SpawnPath.RECYCLED), true);
        metrics.vmEnded(ended("d", new VmFailure.KernelImage("no kernel")), false);

        assertTrue(metrics.render().contains("hatchery_vms_built_total{path=\"shell\"} 2\nhatchery_vms_built_total{path=\"recycled\"} 1\n"
                + "hatchery_vms_built_total{path=\"direct\"} 1\n"),
            metrics.render());
    }

    private static VmResult ended(final String vmId, final VmFailure failure)
    {
        return new VmResult(vmId, VmOutcome.of(failure), new Timeline(), "", 0);
    }

    @Test
    void shouldFillTheBootHistogramCumulatively()
    {
        metrics.vmEnded(booted(80_000), false);
        metrics.vmEnded(booted(3_000_000), false);
        metrics.vmEnded(booted(90_000_000_000L), false);

        final String text = metrics.render();

        assertTrue(text.contains("hatchery_boot_latency_seconds_bucket{le=\"0.0001\"} 1\n"), text);
        assertTrue(text.contains("hatchery_boot_latency_seconds_bucket{le=\"0.0025\"} 1\n"), text);
        assertTrue(text.contains("hatchery_boot_latency_seconds_bucket{le=\"0.005\"} 2\n"), text);
        assertTrue(text.contains("hatchery_boot_latency_seconds_bucket{le=\"60\"} 2\n"), text);
        assertTrue(text.contains("hatchery_boot_latency_seconds_bucket{le=\"+Inf\"} 3\n"), text);
        assertTrue(text.contains("hatchery_boot_latency_seconds_count 3\n"), text);
        assertTrue(text.contains("hatchery_boot_latency_seconds_sum 90.003080\n"), text);
    }

    @Test
    void shouldRenderTheHostsCloneTemplatesApartFromVms()
    {
        final StringBuilder sb = new StringBuilder();

        ServiceMetrics.renderCloneTemplates(sb, new dev.hatchery.vm.CloneTemplateStats(2, 1, 20_000_000, 4, 3));

        final String text = sb.toString();
        for (final String line : java.util.List.of("hatchery_clone_templates 2", "hatchery_clone_templates_held 1", "hatchery_clone_templates_max 4",
            "hatchery_clone_template_bytes 20000000", "hatchery_clone_template_evictions_total 3"))
        {
            org.junit.jupiter.api.Assertions.assertTrue(text.contains("\n" + line + "\n"), line + " in\n" + text);
        }
    }

    @Test
    void shouldRenderTheSharedNetworkLoopsTheirDeathsAndTheNetworksLost()
    {
        final StringBuilder sb = new StringBuilder();

        ServiceMetrics.renderNetLoops(sb, new dev.hatchery.vm.NetLoopStats(4, 1, 7));

        final String text = sb.toString();
        for (final String line : java.util.List.of("hatchery_net_loops 4", "hatchery_net_loops_died_total 1",
            "hatchery_vm_networks_lost_total 7"))
        {
            org.junit.jupiter.api.Assertions.assertTrue(text.contains("\n" + line + "\n"), line + " in\n" + text);
        }
    }
}
