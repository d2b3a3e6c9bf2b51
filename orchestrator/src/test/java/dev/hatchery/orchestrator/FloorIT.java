package dev.hatchery.orchestrator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import com.typesafe.config.ConfigFactory;

import dev.hatchery.config.VmSpec;
import dev.hatchery.orchestrator.report.BatchReport;
import dev.hatchery.orchestrator.report.FloorReport;
import dev.hatchery.orchestrator.report.TerminalReport;
import dev.hatchery.vm.Phase;
import dev.hatchery.vm.VmResult;

/** Real KVM (natively or in the lab): the C floor VMM (built by the launcher) on the flat guest, and beside Hatchery. */
class FloorIT
{
    private static final int MEM_MIB = 128;
    private static final long BOOT_TIMEOUT_MS = 60_000;

    private static KernelCatalog catalog;
    private static FloorVmm floor;

    @BeforeAll
    static void locate()
    {
        catalog = KernelCatalog.fromEnvironment(System.getenv());
        final Path flat = catalog.get(KernelCatalog.FLAT).kernel();
        floor = new FloorVmm(FloorVmm.locate(System.getenv()), flat, MEM_MIB, BOOT_TIMEOUT_MS);
    }

    private static void assertPhasesInOrder(final VmResult vm)
    {
        long previous = 0;
        for (final Phase phase : Phase.values())
        {
            if (phase == Phase.INIT_STARTED || phase == Phase.FUNCTION_REPLIED)
            {
                // The flat guest has no /init, and runs no function.
                continue;
            }
            assertTrue(vm.timeline().reached(phase), () -> vm.vmId() + " did not reach " + phase);
            final long at = vm.timeline().sinceRequest(phase);
            final long before = previous;
            assertTrue(at >= before, () -> vm.vmId() + ": " + phase + " at " + at + " ns, before the phase ahead of it at " + before + " ns");
            previous = at;
        }
    }

    @Test
    void shouldBootEveryFlatVmInTheCVmmWithEveryPhaseInOrder()
    {
        final FloorVmm.Run run = floor.run(5, 1);

        assertEquals(1, run.processes().size());
        assertEquals(5, run.vms().size());
        for (final VmResult vm : run.vms())
        {
            assertTrue(vm.outcome().isBooted(), vm::toString);
            assertPhasesInOrder(vm);
            // The boot-complete write and the triple fault: at least two exits.
            assertTrue(vm.exits() >= 2, vm::toString);
        }
        final BatchReport report = run.report();
        assertEquals(5, report.booted());
        assertEquals(5, report.latencyMicros().count());
        assertEquals(List.of("memoryReady", "kernelLoaded", "vmCreated", "vcpuReady", "firstKvmRun", "kernelEntry", "bootComplete", "stopped"),
            List.copyOf(report.phases().keySet()));
        assertTrue(report.throughputPerSecond() > 0);
    }

    @Test
    void shouldSplitTheCountBetweenCProcessesReleasedTogether()
    {
        final FloorVmm.Run run = floor.run(6, 3);

        assertEquals(3, run.processes().size());
        assertEquals(3, run.processes().stream().mapToLong(FloorVmmOutput::processId).distinct().count());
        run.processes().forEach(process -> assertEquals(2, process.booted(), process::toString));
        // Released together: every process started before any of them ended.
        final long lastStart = run.processes().stream().mapToLong(FloorVmmOutput::startNanos).max().orElseThrow();
        final long firstEnd = run.processes().stream().mapToLong(FloorVmmOutput::endNanos).min().orElseThrow();
        assertTrue(lastStart < firstEnd, "last start " + lastStart + " is after the first end " + firstEnd);
        assertEquals(6, run.report().booted());
        assertEquals(3, run.report().concurrency());
    }

    @Test
    void shouldCompareHatcheryWithTheCVmmFromTheirMeasuredTimes()
    {
        final BatchReport c = floor.run(5, 1).report();
        final BatchReport hatchery;
        final VmSpec spec = catalog.specFor(KernelCatalog.FLAT, false).memMib(MEM_MIB).conclude();
        try (Hatchery service = Hatchery.start(ConfigFactory.load(), catalog))
        {
            hatchery = service.run(new BatchRequest(KernelCatalog.FLAT, spec, 5, 1, true));
        }
        assertEquals(5, hatchery.booted(), () -> hatchery.failures().toString());

        final FloorReport report = new FloorReport(5, 1, 1, c.lab(), c.environment(),
            List.of(new FloorReport.Variant(FloorCommand.C_VMM, List.of(c)), new FloorReport.Variant(FloorCommand.HATCHERY, List.of(hatchery))),
            FloorCommand.targets(1), List.of());
        final double ratio = report.ratio(report.variant(FloorCommand.HATCHERY), FloorReport.Figure.BOOT_P50);

        assertEquals((double)hatchery.latencyMicros().p50() / c.latencyMicros().p50(), ratio, 1e-9);
        assertEquals(hatchery.throughputPerSecond() / c.throughputPerSecond(), report.ratio(report.variant(FloorCommand.HATCHERY),
            FloorReport.Figure.THROUGHPUT), 1e-9);
        assertEquals(report.phaseKeys(), List.copyOf(hatchery.phases().keySet()));
        final String text = TerminalReport.render(report);
        assertTrue(text.contains(String.format(java.util.Locale.ROOT, "%.2fx", ratio)), text);
        System.out.println("FloorIT: " + text);
    }

    @Test
    void shouldRunTheFloorCommandWithEveryVariantThisBuildHas()
    {
        final StringWriter out = new StringWriter();
        final StringWriter err = new StringWriter();

        final int exit = HatcheryCli.commandLine().setOut(new PrintWriter(out)).setErr(new PrintWriter(err))
            .execute("floor", "--count", "4", "--concurrency", "2", "--rounds", "2", "--warmup", "2");

        assertEquals(0, exit, () -> out + "\n" + err);
        final String text = out.toString();
        assertTrue(text.startsWith("Floor: C VMM vs Hatchery on the flat guest: 4 VMs per variant per round, 2 in flight"), text);
        assertTrue(java.util.regex.Pattern.compile("(?m)^booted / VMs +8/8 +8/8 +8/8 +8/8").matcher(text).find(), text);
        assertTrue(text.contains("Hatchery+shells") && text.contains("Hatchery+recycling"), text);
        assertTrue(java.util.regex.Pattern.compile("recycled \\d+, direct \\d+ of 8 VMs of the shells variant").matcher(text).find(), text);
        // With recycling, the ended warm-up and measured VMs' shells come back: some VMs must have run on one.
        final java.util.regex.Matcher recycled = java.util.regex.Pattern.compile("recycled (\\d+), direct \\d+ of 8 VMs of the recycling variant")
            .matcher(text);
        assertTrue(recycled.find() && Integer.parseInt(recycled.group(1)) > 0, text);
        System.out.println("FloorIT: " + text);
    }
}
