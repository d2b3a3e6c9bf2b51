package dev.hatchery.orchestrator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

import dev.hatchery.config.VmSpec;
import dev.hatchery.orchestrator.report.BatchReport;
import dev.hatchery.orchestrator.report.FailureGroup;
import dev.hatchery.vm.GuestFiles;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Real KVM (natively or in the lab): the supervisor and one actor per VM, at batch scale. */
class BatchIT
{
    private static final byte[] SILENT = GuestFiles.IDLE_FOREVER;

    private static Hatchery hatchery;

    @TempDir
    Path dir;

    @BeforeAll
    static void start()
    {
        hatchery = Hatchery.start();
    }

    @AfterAll
    static void stop()
    {
        if (hatchery != null)
        {
            hatchery.close();
        }
    }

    private static BatchRequest batch(final String kernel, final int count, final int concurrency)
    {
        final KernelCatalog.Entry entry = hatchery.catalog().get(kernel);
        final VmSpec spec = VmSpec.builder().kernel(entry.kernel()).initrd(entry.initrd()).cmdline(entry.cmdline())
            .tripleFaultIsStop(entry.tripleFaultIsStop()).bootTimeout(Duration.ofMinutes(5)).conclude();
        return new BatchRequest(kernel, spec, count, concurrency, true);
    }

    private static void assertAllBooted(final BatchReport report, final int count)
    {
        assertEquals(count, report.count());
        assertEquals(count, report.booted(), () -> "failures: " + report.failures());
        assertEquals(count, report.booted() + report.failed() + report.timedOut() + report.cancelled());
        assertEquals(count, report.latencyMicros().count());
        assertTrue(report.latencyMicros().p50() > 0);
        assertTrue(report.throughputPerSecond() > 0);
        assertEquals(List.of(), report.failures());
        assertEquals(count, report.spawnPaths().values().stream().mapToInt(Integer::intValue).sum(), "VMs per spawn path: " + report.spawnPaths());
        // Shells are on by default, made while the batch is prepared, and recycled as VMs end (also those of an earlier
        // batch): at least the first VMs take one, fresh or recycled.
        assertTrue(report.spawnPaths().getOrDefault("shell", 0) + report.spawnPaths().getOrDefault("recycled", 0) > 0,
            "VMs per spawn path: " + report.spawnPaths());
    }

    @ParameterizedTest(name = "{0} flat VMs")
    @ValueSource(ints = {10, 100, 1000})
    void shouldBootAndAccountForEveryFlatVm(final int count) throws Exception
    {
        // Thread pools (actor dispatchers) grow lazily: warm them up so the baseline is the steady state.
        hatchery.run(batch(KernelCatalog.FLAT, 32, 16));
        final ProcessSnapshot before = ProcessSnapshot.settled();

        final BatchReport report = hatchery.run(batch(KernelCatalog.FLAT, count, 16));

        assertAllBooted(report, count);
        // The flat guest reports kernel entry at its first instruction and has no /init: VMM and guest time only.
        assertEquals(List.of("vmm", "guest"), List.copyOf(report.spans().keySet()));
        assertEquals(count, report.spans().get("vmm").count());
        assertFalse(report.phases().containsKey("initStarted"), report.phases().keySet()::toString);
        // Thread pools may still add a thread (and its stack mapping); what a VM owns must all be gone.
        final ProcessSnapshot after = ProcessSnapshot.settledAt(before);
        assertEquals(before.fds(), after.fds(), "open file descriptors after the batch");
        assertEquals(before.guestMappings(), after.guestMappings(), "guest RAM and template mappings after the batch");
        assertEquals(0, hatchery.kernelCacheStats().held(), "the batch's hold on its kernel template ended with it");
        // vCPU threads are parked for the next VMs, not ended, and none is started per VM: the pool holds at most the VMs
        // that were in flight at once plus the spares kept parked.
        final int spares = com.typesafe.config.ConfigFactory.load().getInt("hatchery.vm.spare-vcpu-threads");
        assertTrue(after.vcpuThreads() <= 16 + spares, "vCPU threads after the batch: " + after.vcpuThreads() + " (before: "
            + before.vcpuThreads() + ", in flight: 16, spares: " + spares + ")");
    }

    @Test
    void shouldBootTenLinuxVms()
    {
        // Two in flight: more Linux guests at once stall nested KVM in the emulated lab (see BatchCommand).
        final BatchReport report = hatchery.run(batch(KernelCatalog.LINUX, 10, 2));

        assertAllBooted(report, 10);
        assertTrue(report.phases().containsKey("kernelLoaded"));
        // Every guest reported kernel entry and /init started: the boot splits into VMM, kernel and init time.
        assertEquals(10, report.phases().get("kernelEntry").count(), report.phases().keySet()::toString);
        assertEquals(10, report.phases().get("initStarted").count(), report.phases().keySet()::toString);
        assertEquals(List.of("vmm", "guest", "kernel", "init"), List.copyOf(report.spans().keySet()));
        for (final String span : List.of("vmm", "guest", "kernel", "init"))
        {
            assertEquals(10, report.spans().get(span).count(), span);
            assertTrue(report.spans().get(span).min() > 0, span);
        }
    }

    @Test
    void shouldRunLinuxClonesOfOneTemplateThroughTheFacadeReportingTheTemplateApart()
    {
        final dev.hatchery.config.VmSpec clones = hatchery.catalog().specFor(KernelCatalog.LINUX, false)
            .bootTimeout(java.time.Duration.ofMinutes(5)).spawn(dev.hatchery.config.SpawnMode.CLONE).conclude();

        final BatchReport first = hatchery.run(new BatchRequest(KernelCatalog.LINUX, clones, 20, 2, true));
        final BatchReport second = hatchery.run(new BatchRequest(KernelCatalog.LINUX, clones, 10, 2, true));

        for (final BatchReport report : List.of(first, second))
        {
            assertEquals(report.count(), report.booted(), () -> "failures: " + report.failures());
            assertEquals(List.of(), report.failures());
            assertEquals(report.count(), report.latencyMicros().count());
            assertEquals("clone", report.spawn());
            // Clones take shells too, but their path is "clone": what they were built from is the template.
            assertEquals(java.util.Map.of("clone", report.count()), report.spawnPaths());
        }
        // Clones resume past the kernel's entry and /init's start: those milestones belong to the template.
        assertTrue(!first.phases().containsKey("kernelEntry"), first.phases().keySet()::toString);
        // One template for both batches: the second reuses the first's (same capture, same preparation time).
        assertEquals(first.cloneTemplate(), second.cloneTemplate());
        assertTrue(first.cloneTemplate().capturedBytes() > 0 && first.cloneTemplate().prepareMillis() > 0, first.cloneTemplate()::toString);
    }

    @Test
    void shouldTimeOutSilentGuestsWithoutDisturbingGoodOnesRunningAlongside() throws IOException
    {
        final Path silent = Files.write(dir.resolve("silent"), GuestFiles.elf64(0x100000, SILENT));
        final VmSpec silentSpec = VmSpec.builder().kernel(silent).bootTimeout(Duration.ofMillis(1500)).conclude();

        final CompletableFuture<BatchReport> silentRun = hatchery.submit(new BatchRequest("silent", silentSpec, 8, 8, true))
            .thenCompose(BatchHandle::report).toCompletableFuture();
        final BatchReport good = hatchery.run(batch(KernelCatalog.FLAT, 40, 8));
        final BatchReport bad = silentRun.join();

        assertAllBooted(good, 40);
        assertEquals(8, bad.timedOut());
        assertEquals(0, bad.booted() + bad.failed() + bad.cancelled());
        assertEquals(1, bad.failures().size(), bad.failures()::toString);
        assertEquals("boot_timeout", bad.failures().get(0).code());
        assertEquals("no boot-complete within 1500 ms", bad.failures().get(0).summary());
        assertEquals(8, bad.failures().get(0).count());
    }

    @Test
    void shouldCancelABatchAndStillAccountForEveryVm() throws Exception
    {
        final Path silent = Files.write(dir.resolve("silent"), GuestFiles.elf64(0x100000, SILENT));
        final VmSpec silentSpec = VmSpec.builder().kernel(silent).bootTimeout(Duration.ofMinutes(10)).conclude();
        final BatchHandle handle = hatchery.submit(new BatchRequest("silent", silentSpec, 20, 5, true)).toCompletableFuture().join();
        while (handle.progress().get().inFlight() < 5)
        {
            Thread.sleep(20);
        }

        hatchery.cancel(handle.id());
        final BatchReport report = handle.report().toCompletableFuture().join();

        assertEquals(20, report.cancelled());
        assertEquals(Map.of("stopped by request before boot-complete", 5, "cancelled before launch", 15),
            report.failures().stream().collect(java.util.stream.Collectors.toMap(FailureGroup::summary, FailureGroup::count)));
        assertTrue(report.failures().stream().allMatch(group -> group.code().equals("cancelled")), report.failures()::toString);
    }

    @Test
    void shouldAnswerAFunctionInvocationWithOneFreshVmAndWhatItsGuestPrinted() throws Exception
    {
        final String output = new GuestFunction(hatchery).invoke(Duration.ofMinutes(3)).toCompletableFuture()
            .get(4, java.util.concurrent.TimeUnit.MINUTES);

        assertTrue(output.contains("Linux version"), output);
        assertTrue(output.contains("hatchery-init"), output);
    }
}
