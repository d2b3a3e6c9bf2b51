package dev.hatchery.orchestrator.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

class TerminalReportTest
{
    @Test
    void shouldShowTheLatencyTableWithBootThenEachPhaseWhenRendered()
    {
        final List<String> lines = TerminalReport.render(Reports.sample(false, List.of())).lines().toList();

        final int header = lines.indexOf(
            "from request (ms)            p50       p90       p99     p99.9       max         n");
        assertTrue(header >= 0, String.join("\n", lines));
        assertTrue(lines.get(header + 1).equals(
            "spawn\u2192boot-complete        1.234     2.345     3.456     4.567     5.678       997"), lines.get(header + 1));
        assertTrue(lines.get(header + 2).equals(
            "  memory ready             0.120     0.150     0.210     0.300     0.420      1000"), lines.get(header + 2));
        assertTrue(lines.get(header + 3).startsWith("  load_kernel              0.480"), lines.get(header + 3));
        assertTrue(lines.get(header + 4).startsWith("  kernel entry             0.600"), lines.get(header + 4));
        assertTrue(lines.get(header + 5).startsWith("  /init started            1.100"), lines.get(header + 5));
        assertTrue(lines.get(header + 6).startsWith("  Booted                   1.234"), lines.get(header + 6));
    }

    @Test
    void shouldShowWhereBootTimeWentBelowThePhasesWhenGuestsReportedMilestones()
    {
        final List<String> lines = TerminalReport.render(Reports.sample(false, List.of())).lines().toList();

        final int split = lines.indexOf("split (ms)");
        assertTrue(split > 0, String.join("\n", lines));
        assertEquals(List.of(
            "  VMM                      0.600     0.640     0.800     1.000     1.200      1000",
            "  guest                    0.634     1.705     2.656     3.567     4.478       997",
            "  kernel                   0.500     1.560     2.500     3.400     4.300       998",
            "  init                     0.134     0.145     0.156     0.167     0.178       997",
            "split: VMM = VM Request\u2192kernel entry, guest = kernel entry\u2192Booted, kernel = kernel entry\u2192/init started,"
                + " init = /init started\u2192Booted"), lines.subList(split + 1, split + 6));
    }

    @Test
    void shouldShowNoSplitWhenNoGuestReportedMilestones()
    {
        final String text = TerminalReport.render(Reports.nothingBooted());

        assertFalse(text.contains("split"), text);
    }

    @Test
    void shouldShowAPhaseKeyAsItIsWhenThisVersionDoesNotKnowIt()
    {
        final BatchReport sample = Reports.sample(false, List.of());
        final BatchReport newer = new BatchReport(sample.kernel(), sample.count(), sample.concurrency(), sample.memoryMode(),
            sample.booted(), sample.failed(), sample.timedOut(), sample.cancelled(), sample.wallSeconds(),
            sample.throughputPerSecond(), sample.latencyMicros(), Map.of("pciProbed", sample.latencyMicros()),
            Map.of("firmware", sample.latencyMicros()),
            sample.hostCpuSeconds(), sample.peakRssBytes(), sample.memoryPerVmBytes(), sample.guestMemoryPerVmBytes(), sample.hostOverheadPerVmBytes(), sample.failures(), sample.spawnPaths(), sample.lab(),
            sample.environment(), sample.startedAt(), sample.spawn(), sample.cloneTemplate());

        assertTrue(TerminalReport.render(newer).contains("\n  pciProbed                1.234"), TerminalReport.render(newer));
        assertTrue(TerminalReport.render(newer).contains("\n  firmware                 1.234"), TerminalReport.render(newer));
    }

    @Test
    void shouldShowSettingsTotalsAndCostsWhenRendered()
    {
        final String text = TerminalReport.render(Reports.sample(false, List.of()));

        assertTrue(text.startsWith(
            "Hatchery batch: kernel=linux count=1000 concurrency=64 memory=private environment=native KVM"), text);
        assertTrue(text.contains("outcomes     booted 997  failed 2  timed out 1  cancelled 0"), text);
        assertTrue(text.contains("wall time    12.500 s"), text);
        assertTrue(text.contains("throughput   79.76 VMs/s"), text);
        assertTrue(text.contains("host CPU     20.250 s"), text);
        assertTrue(text.contains("peak RSS     512.0 MiB"), text);
        assertTrue(text.contains("memory/VM    4.0 MiB (peak RSS growth / VMs resident at once)"), text);
        assertTrue(text.contains("failures     none"), text);
        assertFalse(text.contains("EMULATED"), text);
    }

    @Test
    void shouldSayTimingsAreEmulatedWhenTheBatchRanInTheLab()
    {
        final String text = TerminalReport.render(Reports.sample(true, List.of()));

        assertTrue(text.contains("timings are EMULATED (lab)"), text);
    }

    @Test
    void shouldListFailureGroupsWithCountsCodesAndAnExampleWhenSomeVmsFailed()
    {
        final String text = TerminalReport.render(Reports.sample(false, List.of(
            new FailureGroup("triple_fault", "guest", "triple fault (KVM_EXIT_SHUTDOWN) before boot-complete", 2, "b1-vm-3", "rip=0xfff0"),
            new FailureGroup("boot_timeout", "timeout", "no boot-complete within 100 ms", 1, "b1-vm-7", ""))));

        assertTrue(text.contains(("failures\n       2  triple fault (KVM_EXIT_SHUTDOWN) before boot-complete [triple_fault]\n"
            + "          e.g. b1-vm-3: rip=0xfff0\n       1  no boot-complete within 100 ms [boot_timeout]\n          e.g. b1-vm-7\n")
            .replace("\n", System.lineSeparator())), text);
    }

    @Test
    void shouldShowControlCharactersAsEscapesWhenAReasonHasThem()
    {
        final String text = TerminalReport.render(Reports.sample(false, List.of(new FailureGroup("host_error", "host", "panic\u001b[2J\nmore", 1, "vm-1", ""))));

        assertTrue(text.contains("       1  panic\\x1b[2J\\x0amore"), text);
        assertFalse(text.contains("\u001b"), text);
    }

    @Test
    void shouldShowDashesAndNaWhenNothingBootedAndUsageIsUnknown()
    {
        final String text = TerminalReport.render(Reports.nothingBooted());

        assertTrue(text.contains(
            "spawn\u2192boot-complete            -         -         -         -         -         0"), text);
        assertTrue(text.contains("host CPU     n/a"), text);
        assertTrue(text.contains("peak RSS     n/a"), text);
    }
}
