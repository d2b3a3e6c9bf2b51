package dev.hatchery.orchestrator.report;

import static dev.hatchery.orchestrator.report.VmResults.booted;
import static dev.hatchery.orchestrator.report.VmResults.failed;
import static dev.hatchery.orchestrator.report.VmResults.result;
import static dev.hatchery.orchestrator.report.VmResults.tripleFault;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;

import dev.hatchery.vm.Phase;
import dev.hatchery.vm.Timeline;
import dev.hatchery.vm.VmFailure;
import dev.hatchery.vm.VmOutcome;
import dev.hatchery.vm.VmResult;

import org.junit.jupiter.api.Test;

class BatchRecorderTest
{
    private static final long START = 10_000_000_000L;
    private static final long SECOND = 1_000_000_000L;
    private static final long MIB = 1024 * 1024;
    private static final Clock CLOCK = Clock.fixed(Instant.parse("2025-01-02T03:04:05Z"), ZoneOffset.UTC);
    private static final ResourceUsage USAGE = new ResourceUsage(1.5, 600 * MIB, 100 * MIB);

    @Test
    void shouldCountEachOutcomeWhenVmsEndEachWay()
    {
        final BatchRecorder recorder = started(settings(7, 4));
        recorder.record(booted("vm-1", 20_000_000));
        recorder.record(booted("vm-2", 30_000_000));
        recorder.record(booted("vm-3", 40_000_000));
        recorder.record(failed("vm-4", tripleFault(0x1000)));
        recorder.record(failed("vm-5", tripleFault(0x1000)));
        recorder.record(failed("vm-6", new VmFailure.BootTimeout(100)));
        recorder.record(failed("vm-7", new VmFailure.Cancelled("stopped by request before boot-complete")));

        final BatchReport report = recorder.finish(START + 2 * SECOND, USAGE);

        assertEquals(7, recorder.recorded());
        assertEquals(3, report.booted());
        assertEquals(2, report.failed());
        assertEquals(1, report.timedOut());
        assertEquals(1, report.cancelled());
        assertEquals(recorder.recorded(), report.booted() + report.failed() + report.timedOut() + report.cancelled());
    }

    @Test
    void shouldGroupFailuresByTypeLargestFirstWhenSeveralVmsFailAlikeWithTheirOwnDetail()
    {
        final BatchRecorder recorder = started(settings(7, 2));
        recorder.record(failed("vm-1", tripleFault(0x1000)));
        recorder.record(failed("vm-2", new VmFailure.BootTimeout(100)));
        recorder.record(failed("vm-3", tripleFault(0x2000)));
        recorder.record(failed("vm-4", new VmFailure.KvmSetup("KVM_CREATE_VM", "EMFILE", "KVM_CREATE_VM failed: errno=24 (EMFILE)")));
        recorder.record(failed("vm-5", new VmFailure.Cancelled("stopped by request before boot-complete")));
        recorder.record(failed("vm-6", tripleFault(0x3000)));
        recorder.record(booted("vm-7", 20_000_000));

        final BatchReport report = recorder.finish(START + SECOND, USAGE);

        assertEquals(List.of(
            new FailureGroup("triple_fault", "guest", "triple fault (KVM_EXIT_SHUTDOWN) before boot-complete", 3, "vm-1", "rip=0x1000"),
            new FailureGroup("boot_timeout", "timeout", "no boot-complete within 100 ms", 1, "vm-2", ""),
            new FailureGroup("cancelled", "cancelled", "stopped by request before boot-complete", 1, "vm-5", ""),
            new FailureGroup("kvm_setup", "build", "VM could not be built: KVM_CREATE_VM failed with EMFILE", 1, "vm-4",
                "KVM_CREATE_VM failed: errno=24 (EMFILE)")), report.failures());
    }

    @Test
    void shouldShowAThousandGuestsThatFailTheSameWayAsOneGroup()
    {
        final BatchRecorder recorder = started(settings(1000, 64));
        for (int i = 0; i < 1000; i++)
        {
            recorder.record(failed("vm-" + i, tripleFault(0x100000 + i)));
        }

        final List<FailureGroup> failures = recorder.finish(START + SECOND, USAGE).failures();

        assertEquals(1, failures.size());
        assertEquals(1000, failures.get(0).count());
        assertEquals("triple_fault", failures.get(0).code());
    }

    @Test
    void shouldSummariseSpawnToBootCompleteWhenVmsBootIn1To1000Ms()
    {
        final BatchRecorder recorder = started(settings(1000, 64));
        for (int ms = 1; ms <= 1000; ms++)
        {
            recorder.record(booted("vm-" + ms, ms * 1_000_000L));
        }

        final LatencySummary latency = recorder.finish(START + 10 * SECOND, USAGE).latencyMicros();

        assertEquals(1000, latency.count());
        assertEquals(500_000, latency.p50(), 500);
        assertEquals(900_000, latency.p90(), 900);
        assertEquals(990_000, latency.p99(), 990);
        assertEquals(999_000, latency.p999(), 999);
        assertEquals(1_000_000, latency.max(), 1_000);
    }

    @Test
    void shouldCountBootLatencyWhenAVmFailedAfterReachingBootComplete()
    {
        final BatchRecorder recorder = started(settings(2, 2));
        recorder.record(booted("vm-1", 20_000_000));
        recorder.record(result("vm-2", VmOutcome.of(tripleFault(0x1000)), Map.of(Phase.BOOT_COMPLETE, 30_000_000L)));

        final BatchReport report = recorder.finish(START + SECOND, USAGE);

        assertEquals(2, report.latencyMicros().count());
        assertEquals(1, report.booted());
        assertEquals(1, report.failed());
    }

    @Test
    void shouldListOnlyReachedPhasesInPhaseOrderWhenSomeWereNotReached()
    {
        final BatchRecorder recorder = started(settings(3, 3));
        recorder.record(result("vm-1", VmOutcome.booted("stopped by request"), Map.of(Phase.STOPPED, 50_000_000L,
            Phase.BOOT_COMPLETE, 40_000_000L, Phase.KERNEL_LOADED, 2_000_000L, Phase.MEMORY_READY, 1_000_000L)));
        recorder.record(result("vm-2", VmOutcome.of(new VmFailure.KernelImage("bad kernel")), Map.of(Phase.MEMORY_READY, 1_000_000L)));
        recorder.record(result("vm-3", VmOutcome.booted("stopped by request"),
            Map.of(Phase.MEMORY_READY, 1_000_000L, Phase.BOOT_COMPLETE, 40_000_000L)));

        final Map<String, LatencySummary> phases = recorder.finish(START + SECOND, USAGE).phases();

        assertEquals(List.of("memoryReady", "kernelLoaded", "bootComplete", "stopped"), List.copyOf(phases.keySet()));
        assertEquals(3, phases.get("memoryReady").count());
        assertEquals(1, phases.get("kernelLoaded").count());
        assertEquals(2, phases.get("bootComplete").count());
        assertEquals(1_000, phases.get("memoryReady").p50(), 1);
        assertEquals(40_000, phases.get("bootComplete").max(), 40);
    }

    @Test
    void shouldSummariseEachVmsOwnSplitNotTheDifferenceOfPercentiles()
    {
        // VM 1 spends its time in the VMM, VM 2 in its kernel: per VM the split is exact, whatever the percentiles do.
        final BatchRecorder recorder = started(settings(3, 3));
        recorder.record(result("vm-1", VmOutcome.booted("guest reset via i8042"), Map.of(Phase.KERNEL_ENTRY, 30_000_000L,
            Phase.INIT_STARTED, 40_000_000L, Phase.BOOT_COMPLETE, 41_000_000L)));
        recorder.record(result("vm-2", VmOutcome.booted("guest reset via i8042"), Map.of(Phase.KERNEL_ENTRY, 1_000_000L,
            Phase.INIT_STARTED, 40_000_000L, Phase.BOOT_COMPLETE, 42_000_000L)));
        // A flat-like guest: kernel entry, no /init.
        recorder.record(result("vm-3", VmOutcome.booted("guest stopped by triple fault"), Map.of(Phase.KERNEL_ENTRY, 2_000_000L,
            Phase.BOOT_COMPLETE, 3_000_000L)));

        final Map<String, LatencySummary> spans = recorder.finish(START + SECOND, USAGE).spans();

        assertEquals(List.of("vmm", "guest", "kernel", "init"), List.copyOf(spans.keySet()));
        assertEquals(3, spans.get("vmm").count());
        assertEquals(3, spans.get("guest").count());
        assertEquals(2, spans.get("kernel").count(), "vm-3 has no /init: absent, not 0");
        assertEquals(2, spans.get("init").count());
        assertEquals(10_000, spans.get("kernel").min(), 10);
        assertEquals(39_000, spans.get("kernel").max(), 39);
        assertEquals(1_000, spans.get("init").min(), 1);
        assertEquals(2_000, spans.get("init").max(), 2);
        assertEquals(1_000, spans.get("guest").min(), 1);
    }

    @Test
    void shouldListNoSpansWhenNoGuestReportedAMilestone()
    {
        final BatchRecorder recorder = started(settings(1, 1));
        recorder.record(booted("vm-1", 20_000_000));

        assertEquals(Map.of(), recorder.finish(START + SECOND, USAGE).spans());
    }

    @Test
    void shouldCountTheOutcomeButNoTimingsWhenTheTimelineHasNoRequest()
    {
        final BatchRecorder recorder = started(settings(1, 1));
        final Timeline timeline = new Timeline();
        timeline.mark(Phase.BOOT_COMPLETE, START);
        recorder.record(new VmResult("vm-1", VmOutcome.booted("stopped by request"), timeline, "", 0));

        final BatchReport report = recorder.finish(START + SECOND, USAGE);

        assertEquals(1, report.booted());
        assertEquals(LatencySummary.empty(), report.latencyMicros());
        assertEquals(Map.of(), report.phases());
    }

    @Test
    void shouldReportWallTimeThroughputAndSettingsWhenFinished()
    {
        final BatchRecorder recorder = started(new BatchRecorder.Settings("linux", 4, 2, "private", true, "lab (emulated)"));
        for (int i = 1; i <= 4; i++)
        {
            recorder.record(booted("vm-" + i, 20_000_000));
        }

        final BatchReport report = recorder.finish(START + 2 * SECOND, USAGE);

        assertEquals("linux", report.kernel());
        assertEquals(4, report.count());
        assertEquals(2, report.concurrency());
        assertEquals("private", report.memoryMode());
        assertEquals(2.0, report.wallSeconds());
        assertEquals(2.0, report.throughputPerSecond());
        assertEquals(1.5, report.hostCpuSeconds());
        assertEquals(600 * MIB, report.peakRssBytes());
        assertEquals(true, report.lab());
        assertEquals("lab (emulated)", report.environment());
        assertEquals("2025-01-02T03:04:05Z", report.startedAt());
    }

    @Test
    void shouldDivideRssGrowthByConcurrencyWhenMoreVmsThanConcurrency()
    {
        final BatchReport report = started(settings(10, 4)).finish(START + SECOND, USAGE);

        assertEquals(125 * MIB, report.memoryPerVmBytes());
    }

    @Test
    void shouldDivideRssGrowthByCountWhenFewerVmsThanConcurrency()
    {
        final BatchReport report = started(settings(2, 64)).finish(START + SECOND, USAGE);

        assertEquals(250 * MIB, report.memoryPerVmBytes());
    }

    @Test
    void shouldReportUnknownMemoryPerVmWhenRssIsUnknown()
    {
        final BatchReport report = started(settings(2, 2)).finish(START + SECOND, new ResourceUsage(-1, -1, 100 * MIB));

        assertEquals(-1, report.memoryPerVmBytes());
        assertEquals(-1, report.guestMemoryPerVmBytes());
        assertEquals(-1, report.hostOverheadPerVmBytes());
    }

    @Test
    void shouldSplitMemoryPerVmIntoWhatTheGuestWroteAndTheRest()
    {
        final BatchReport report = started(settings(2, 2)).finish(START + SECOND, new ResourceUsage(1.5, 600 * MIB, 100 * MIB, 40 * MIB));

        assertEquals(250 * MIB, report.memoryPerVmBytes());
        assertEquals(40 * MIB, report.guestMemoryPerVmBytes());
        assertEquals(210 * MIB, report.hostOverheadPerVmBytes());
    }

    @Test
    void shouldNotReportANegativeHostOverheadWhenGuestsWroteMoreThanTheRssPeakShows()
    {
        // Sampled guest pages can exceed the peak's share when VMs ended (and were unmapped) before the peak.
        final BatchReport report = started(settings(2, 2)).finish(START + SECOND, new ResourceUsage(1.5, 200 * MIB, 100 * MIB, 80 * MIB));

        assertEquals(50 * MIB, report.memoryPerVmBytes());
        assertEquals(0, report.hostOverheadPerVmBytes());
    }

    @Test
    void shouldReportZeroThroughputWhenNoWallTimePassed()
    {
        final BatchRecorder recorder = started(settings(1, 1));
        recorder.record(booted("vm-1", 20_000_000));

        assertEquals(0.0, recorder.finish(START, USAGE).throughputPerSecond());
    }

    @Test
    void shouldRejectARecordWhenTheBatchHasNotStarted()
    {
        final BatchRecorder recorder = new BatchRecorder(settings(1, 1), CLOCK);

        final IllegalStateException ex = assertThrows(IllegalStateException.class, () -> recorder.record(booted("vm-1", 1)));

        assertEquals("record before start: vmId=vm-1", ex.getMessage());
    }

    @Test
    void shouldRejectASecondStartWhenAlreadyStarted()
    {
        final BatchRecorder recorder = started(settings(1, 1));

        final IllegalStateException ex = assertThrows(IllegalStateException.class, () -> recorder.start(START));

        assertEquals("batch already started: kernel=linux startedAt=2025-01-02T03:04:05Z", ex.getMessage());
    }

    @Test
    void shouldRejectSettingsWhenConcurrencyIsZero()
    {
        final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class,
            () -> new BatchRecorder.Settings("linux", 1, 0, "private", false, "native KVM"));

        assertEquals("concurrency must be at least 1: concurrency=0", ex.getMessage());
    }

    private static BatchRecorder.Settings settings(final int count, final int concurrency)
    {
        return new BatchRecorder.Settings("linux", count, concurrency, "private", false, "native KVM");
    }

    private static BatchRecorder started(final BatchRecorder.Settings settings)
    {
        final BatchRecorder recorder = new BatchRecorder(settings, CLOCK);
        recorder.start(START);
        return recorder;
    }
}
