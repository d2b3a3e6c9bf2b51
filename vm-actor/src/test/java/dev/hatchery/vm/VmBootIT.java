package dev.hatchery.vm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import dev.hatchery.config.VmSpec;
import dev.hatchery.config.MemoryMode;
import dev.hatchery.kernel.KernelCache;
import dev.hatchery.kernel.PreparedKernel;
import dev.hatchery.kernel.KernelImageException;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Real /dev/kvm (natively or in the lab): the VMM boots real guests and always ends with one outcome. Shells are
 * off here, so every VM takes the direct path (ShellIT covers shells).
 */
class VmBootIT
{
    private static final String LINUX_CMDLINE = "console=ttyS0 8250.nr_uarts=1 reboot=k panic=1 nomodule i8042.noaux i8042.nomux"
        + " i8042.dumbkbd swiotlb=noforce pci=off";

    private static VmHost host;
    private static KernelCache kernels;

    @TempDir
    Path dir;

    @BeforeAll
    static void openHost()
    {
        host = VmHost.open(dev.hatchery.kvm.Kvm.DEFAULT_PATH, new HostSettings(0, 1, 1, 4, 1, false));
        kernels = new KernelCache();
    }

    @AfterAll
    static void closeHost()
    {
        if (host != null)
        {
            host.close();
        }
        if (kernels != null)
        {
            kernels.close();
        }
    }

    private static VmResult boot(final VmSpec spec)
    {
        return host.launch("it", kernels.prepare(spec), spec).result().join();
    }

    private static VmSpec flatSpec()
    {
        return VmSpec.builder().kernel(GuestFiles.flat()).tripleFaultIsStop(true).bootTimeout(Duration.ofSeconds(30)).conclude();
    }

    @Test
    void shouldBootTheFlatGuestToBootCompleteAndStopOnItsTripleFault()
    {
        final VmResult result = boot(flatSpec());

        assertEquals(VmOutcome.booted("guest stopped by triple fault, as this guest does on purpose"), result.outcome());
        for (final Phase phase : Phase.values())
        {
            // The flat guest reports kernel entry at its first instruction; it has no /init and runs no function.
            assertEquals(phase != Phase.INIT_STARTED && phase != Phase.FUNCTION_REPLIED, result.timeline().reached(phase), "phase reached: " + phase);
        }
        assertInOrder(result.timeline(), Phase.FIRST_RUN, Phase.KERNEL_ENTRY, Phase.BOOT_COMPLETE, Phase.STOPPED);
        assertTrue(Span.VMM.nanos(result.timeline()) > 0);
        assertEquals(-1, Span.INIT.nanos(result.timeline()));
    }

    /** Each phase reached, and strictly after the one before it. */
    private static void assertInOrder(final Timeline timeline, final Phase... phases)
    {
        for (int i = 0; i < phases.length; i++)
        {
            assertTrue(timeline.reached(phases[i]), "phase not reached: " + phases[i] + "\n" + timeline.format());
            if (i > 0)
            {
                assertTrue(timeline.nanos(phases[i - 1]) < timeline.nanos(phases[i]),
                    phases[i - 1] + " is not before " + phases[i] + "\n" + timeline.format());
            }
        }
    }

    @Test
    void shouldFailAFlatGuestWhoseTripleFaultIsNotItsWayToStop()
    {
        final VmResult result = boot(flatSpec().toBuilder().tripleFaultIsStop(false).conclude());

        final VmFailure.TripleFault failure = assertInstanceOf(VmFailure.TripleFault.class, result.outcome().failure());
        assertTrue(failure.afterBootComplete(), failure.describe());
        assertEquals(VmOutcome.Kind.FAILED, result.outcome().kind());
        assertTrue(failure.detail().startsWith("rip=0x"), failure.detail());
        assertEquals("triple fault (KVM_EXIT_SHUTDOWN) after boot-complete", failure.summary());
    }

    @Test
    void shouldBootMinimalLinuxPrintItsBannerAndInitLineAndEndWithTheGuestReset()
    {
        final VmSpec spec = VmSpec.builder().kernel(GuestFiles.vmlinux()).initrd(GuestFiles.initramfs()).cmdline(LINUX_CMDLINE)
            .bootTimeout(Duration.ofMinutes(3)).conclude();

        final VmResult result = boot(spec);

        assertEquals(VmOutcome.booted("guest reset via i8042"), result.outcome(), result.console());
        assertTrue(result.console().contains("Linux version 6.12"), result.console());
        assertTrue(result.console().contains("hatchery-init: started"), result.console());
        assertFalse(result.console().contains("/dev/port failed"), result.console());
        // The guest's own milestones split the boot: VMM, then kernel (entry to /init), then init.
        assertInOrder(result.timeline(), Phase.FIRST_RUN, Phase.KERNEL_ENTRY, Phase.INIT_STARTED, Phase.BOOT_COMPLETE);
        for (final Span span : Span.values())
        {
            assertTrue(span.nanos(result.timeline()) > 0, span + "\n" + result.timeline().formatSpans());
        }
    }

    @Test
    void shouldBootTheSameLinuxGuestFromTheTemplateAsFromACopy()
    {
        final VmSpec template = VmSpec.builder().kernel(GuestFiles.vmlinux()).initrd(GuestFiles.initramfs()).cmdline(LINUX_CMDLINE)
            .bootTimeout(Duration.ofMinutes(3)).memoryMode(MemoryMode.TEMPLATE).conclude();
        final VmSpec copy = template.toBuilder().memoryMode(MemoryMode.COPY).conclude();

        final VmResult fromTemplate = boot(template);
        final VmResult fromCopy = boot(copy);

        assertEquals(VmOutcome.booted("guest reset via i8042"), fromTemplate.outcome(), fromTemplate.console());
        assertEquals(fromTemplate.outcome(), fromCopy.outcome(), fromCopy.console());
        assertEquals(comparable(fromTemplate.console()), comparable(fromCopy.console()));
    }

    /**
     * The console without what depends on timing rather than memory contents: numbers (clock readings,
     * calibrations), the lines of timer and clock checks, whose verdicts vary from run to run under
     * emulation (e.g. "APIC timer disabled due to verification failure"), and the order of lines that
     * asynchronous probes print (the i8042 keyboard line moves): the lines are compared sorted.
     */
    private static String comparable(final String console)
    {
        return console.lines()
            .filter(line -> !line.matches("(?i).*(timer|clock|tsc|calibrat|bogomips|lpj).*"))
            .map(line -> line.replaceAll("\\b(0x)?[0-9a-fA-F]*[0-9][0-9a-fA-F]*\\b", "N"))
            .sorted()
            .collect(java.util.stream.Collectors.joining("\n"));
    }

    @Test
    void shouldTimeOutAGuestThatNeverSignalsAndReleaseItsResources() throws Exception
    {
        final VmSpec spec = VmSpec.builder().kernel(GuestFiles.write(dir, "idle", GuestFiles.elf64(0x100000, GuestFiles.IDLE_FOREVER)))
            .bootTimeout(Duration.ofMillis(500)).conclude();
        final ProcessResources before = ProcessResources.now();

        final VmResult result = boot(spec);

        assertEquals(VmOutcome.of(new VmFailure.BootTimeout(500)), result.outcome());
        assertEquals(SpawnPath.DIRECT, result.spawnPath());
        // The result is reported before the VM is released (off the spawn path): wait for the release.
        assertEquals(before.fds(), ProcessResources.settled(before).fds());
    }

    @Test
    void shouldStopAGuestIdlingInsideKvmRunPromptly() throws Exception
    {
        final VmSpec spec = VmSpec.builder().kernel(GuestFiles.write(dir, "idle", GuestFiles.elf64(0x100000, GuestFiles.IDLE_FOREVER)))
            .bootTimeout(Duration.ofMinutes(10)).conclude();
        final Vm vm = host.launch("idle", kernels.prepare(spec), spec);
        // Wait until the vCPU is inside the guest (it has entered KVM_RUN and halted there).
        while (!vm.timeline().reached(Phase.FIRST_RUN))
        {
            Thread.sleep(10);
        }
        Thread.sleep(200);

        vm.stop();
        final VmResult result = vm.result().get(30, TimeUnit.SECONDS);

        assertEquals(VmOutcome.of(new VmFailure.Cancelled("stopped by request before boot-complete")), result.outcome());
    }

    @Test
    void shouldStopASpinningGuest() throws Exception
    {
        final VmSpec spec = VmSpec.builder().kernel(GuestFiles.write(dir, "spin", GuestFiles.elf64(0x100000, new byte[] {(byte)0xeb, (byte)0xfe})))
            .bootTimeout(Duration.ofMinutes(10)).conclude();
        final Vm vm = host.launch("spin", kernels.prepare(spec), spec);
        Thread.sleep(200);

        vm.close();

        assertEquals(VmOutcome.Kind.CANCELLED, vm.result().get(1, TimeUnit.SECONDS).outcome().kind());
    }

    static Stream<Arguments> badKernels()
    {
        final byte[] elf32 = GuestFiles.elf64(0x100000, new byte[] {(byte)0xf4});
        elf32[4] = 1;
        final byte[] truncated = java.util.Arrays.copyOf(GuestFiles.elf64(0x100000, new byte[64]), 100);
        return Stream.of(
            Arguments.of("empty", new byte[0]),
            Arguments.of("text", "just some text\n".getBytes(StandardCharsets.US_ASCII)),
            Arguments.of("elf32", elf32),
            Arguments.of("truncated", truncated),
            Arguments.of("outside-ram", GuestFiles.elf64(0x40000000L, new byte[] {(byte)0xf4})));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badKernels")
    void shouldRejectBadKernelFilesClearlyAndLeaveNothingOpen(final String name, final byte[] bytes)
    {
        final Path kernel = GuestFiles.write(dir, name, bytes);
        final VmSpec spec = VmSpec.builder().kernel(kernel).conclude();
        final ProcessResources before = ProcessResources.now();

        final KernelImageException ex = assertThrows(KernelImageException.class, () -> host.launch("bad", kernels.prepare(spec), spec));

        assertTrue(ex.getMessage().contains(kernel.toString()), ex.getMessage());
        assertEquals(before.fds(), ProcessResources.now().fds());
    }

    @Test
    void shouldHoldTheSameFdsThreadsAndMappingsAfterFiftyLifecycles() throws Exception
    {
        final VmSpec spec = flatSpec();
        final PreparedKernel image = kernels.prepare(spec);
        assertTrue(host.launch("warmup", image, spec).result().join().outcome().isBooted());
        final ProcessResources before = ProcessResources.settled(null);
        final long vmMappingsBefore = ProcessResources.vmMappings(spec.memBytes());
        final long hostThreadsBefore = ProcessResources.hostThreads();

        for (int i = 0; i < 50; i++)
        {
            final VmResult result = host.launch("cycle-" + i, image, spec).result().join();
            assertTrue(result.outcome().isBooted(), result.outcome().toString());
        }

        final ProcessResources after = ProcessResources.settled(before);
        assertEquals(before.fds(), after.fds(), "open file descriptors");
        // The VM host's threads exactly; the JVM's own (compiler threads) may end meanwhile, never grow.
        assertEquals(hostThreadsBefore, ProcessResources.hostThreads(), "VM host threads");
        assertTrue(after.threads() <= before.threads(), "threads: before " + before.threads() + " after " + after.threads());
        // The VMs' mappings exactly (KVM pages, templates, guest RAM): the JVM maps and unmaps code-heap and arena
        // segments of its own at any time (one went during a suite run of 2026-12-05).
        assertEquals(vmMappingsBefore, ProcessResources.vmMappings(spec.memBytes()), "VM memory mappings");
        assertNotEquals(0, before.fds());
    }
}
