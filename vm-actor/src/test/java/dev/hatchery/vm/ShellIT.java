package dev.hatchery.vm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32;

import dev.hatchery.config.VmSpec;
import dev.hatchery.kernel.KernelCache;
import dev.hatchery.kernel.PreparedKernel;
import dev.hatchery.kvm.GuestMemory;
import dev.hatchery.kvm.Kvm;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Real /dev/kvm (natively or in the lab): VMs built from shells made ahead boot like any other, see the kernel
 * template mapped into memory KVM had registered before, keep their writes to themselves, and a host that
 * made shells leaves nothing behind when it closes.
 */
class ShellIT
{
    private static final String LINUX_CMDLINE = "console=ttyS0 8250.nr_uarts=1 reboot=k panic=1 nomodule i8042.noaux i8042.nomux"
        + " i8042.dumbkbd swiotlb=noforce pci=off";
    private static final int PAGE = 4096;

    private static KernelCache kernels;

    @BeforeAll
    static void openKernels()
    {
        kernels = new KernelCache();
    }

    @AfterAll
    static void closeKernels()
    {
        if (kernels != null)
        {
            kernels.close();
        }
    }

    private static VmSpec flatSpec()
    {
        return VmSpec.builder().kernel(GuestFiles.flat()).tripleFaultIsStop(true).bootTimeout(Duration.ofSeconds(60)).conclude();
    }

    private static VmSpec linuxSpec()
    {
        return VmSpec.builder().kernel(GuestFiles.vmlinux()).initrd(GuestFiles.initramfs()).cmdline(LINUX_CMDLINE)
            .bootTimeout(Duration.ofMinutes(3)).conclude();
    }

    @Test
    void shouldBootFlatVmsFromPreparedShellsFirstAndAccountForEveryPath() throws Exception
    {
        final int depth = 3;
        final VmSpec spec = flatSpec();
        final PreparedKernel kernel = kernels.prepare(spec);
        try (VmHost host = VmHost.open(Kvm.DEFAULT_PATH, new HostSettings(depth, 2, 2, 2, 1)))
        {
            host.prepareShells(spec, kernel);
            assertEquals(depth, host.stats().shellsReady());

            final List<Vm> vms = new ArrayList<>();
            for (int i = 0; i < 8; i++)
            {
                vms.add(host.launch("shell-" + i, kernel, spec));
            }
            int shell = 0;
            int direct = 0;
            for (int i = 0; i < vms.size(); i++)
            {
                final VmResult result = vms.get(i).result().get(60, TimeUnit.SECONDS);
                assertTrue(result.outcome().isBooted(), result.outcome() + " " + result.console());
                if (i < depth)
                {
                    // The pool was full and only grows between launches: the first VMs all took a shell.
                    assertEquals(SpawnPath.SHELL, result.spawnPath(), "vm " + i);
                }
                shell += result.spawnPath() == SpawnPath.SHELL ? 1 : 0;
                direct += result.spawnPath() == SpawnPath.DIRECT ? 1 : 0;
                long previous = 0;
                for (final Phase phase : Phase.values())
                {
                    // The flat guest has no /init: that phase is not reached; every phase reached comes in order.
                    if (phase != Phase.INIT_STARTED)
                    {
                        assertTrue(result.timeline().reached(phase), phase + " not reached: " + result.timeline().format());
                        assertTrue(previous <= result.timeline().nanos(phase), "phases in order: " + result.timeline().format());
                        previous = result.timeline().nanos(phase);
                    }
                }
            }
            final HostStats stats = host.stats();
            assertEquals(vms.size(), shell + direct);
            assertEquals(shell, stats.shellsTaken());
            assertEquals(direct, stats.shellsMissed());
        }
    }

    /**
     * The guest of a shell sees the template mapped over memory KVM registered before (it boots Linux from it),
     * writes into its copy-on-write pages, and none of that reaches the template: a second VM from a shell boots
     * the same way, and the template's pages hash the same before and after.
     */
    @Test
    void shouldBootLinuxFromAShellAndKeepTheGuestsWritesOutOfTheTemplate() throws Exception
    {
        final VmSpec spec = linuxSpec();
        final PreparedKernel kernel = kernels.prepare(spec);
        final long[] templateBefore = templateHashes(kernel);
        try (VmHost host = VmHost.open(Kvm.DEFAULT_PATH, new HostSettings(2, 2, 2, 2, 1)))
        {
            host.prepareShells(spec, kernel);

            final Vm first = host.launch("cow-1", kernel, spec);
            final CompletableFuture<Integer> pagesWritten = new CompletableFuture<>();
            // Runs on the vCPU thread inside the boot-complete exit: the guest is paused, its memory still mapped.
            first.bootComplete().thenRun(() -> pagesWritten.complete(differingPages(pageHashes(first.memory(), kernel.template().size()),
                templateBefore)));
            final VmResult firstResult = first.result().get(3, TimeUnit.MINUTES);
            final Vm second = host.launch("cow-2", kernel, spec);
            final VmResult secondResult = second.result().get(3, TimeUnit.MINUTES);

            assertEquals(SpawnPath.SHELL, firstResult.spawnPath());
            assertEquals(SpawnPath.SHELL, secondResult.spawnPath());
            assertEquals(VmOutcome.booted("guest reset via i8042"), firstResult.outcome(), firstResult.console());
            assertEquals(VmOutcome.booted("guest reset via i8042"), secondResult.outcome(), secondResult.console());
            assertTrue(secondResult.console().contains("hatchery-init: started"), secondResult.console());
            final int written = pagesWritten.get(1, TimeUnit.SECONDS);
            assertTrue(written > 0, "the guest wrote into template-backed pages: " + written);
        }
        assertArrayEquals(templateBefore, templateHashes(kernel),
            "template pages after two guests wrote into their copies");
    }

    @Test
    void shouldLeaveNoFdMappingOrThreadBehindWhenAHostWithShellsCloses() throws Exception
    {
        final VmSpec spec = flatSpec();
        final PreparedKernel kernel = kernels.prepare(spec);
        // A first host warms up what outlives any host: the JIT's code, glibc's per-thread malloc arenas (kept for
        // reuse when threads end), JNA's native stubs. The second host must then leave exactly what the first did.
        runHostWithShells(kernel, spec);
        final ProcessResources before = ProcessResources.settled(null);

        runHostWithShells(kernel, spec);

        final ProcessResources after = ProcessResources.settled(before);
        assertEquals(before.fds(), after.fds(), "open file descriptors");
        assertEquals(before.mappings(), after.mappings(), "memory mappings");
        assertEquals(before.threads(), after.threads(), "threads");
    }

    private static void runHostWithShells(final PreparedKernel kernel, final VmSpec spec) throws Exception
    {
        try (VmHost host = VmHost.open(Kvm.DEFAULT_PATH, new HostSettings(4, 2, 2, 4, 2)))
        {
            host.prepareShells(spec, kernel);
            final List<Vm> vms = new ArrayList<>();
            for (int i = 0; i < 6; i++)
            {
                vms.add(host.launch("leak-" + i, kernel, spec));
            }
            for (final Vm vm : vms)
            {
                assertTrue(vm.result().get(60, TimeUnit.SECONDS).outcome().isBooted());
            }
        }
    }

    private static long[] templateHashes(final PreparedKernel kernel)
    {
        try (GuestMemory memory = GuestMemory.anonymous(kernel.image().ramSize()))
        {
            memory.mapTemplate(kernel.template());
            return pageHashes(memory, kernel.template().size());
        }
    }

    /** CRC32 of each page below {@code size}. */
    private static long[] pageHashes(final GuestMemory memory, final long size)
    {
        final long[] hashes = new long[(int)(size / PAGE)];
        final byte[] page = new byte[PAGE];
        for (int i = 0; i < hashes.length; i++)
        {
            final UnsafeBuffer view = memory.view((long)i * PAGE, PAGE);
            view.getBytes(0, page);
            final CRC32 crc = new CRC32();
            crc.update(page);
            hashes[i] = crc.getValue();
        }
        return hashes;
    }

    private static int differingPages(final long[] a, final long[] b)
    {
        int differing = 0;
        for (int i = 0; i < a.length; i++)
        {
            differing += a[i] != b[i] ? 1 : 0;
        }
        return differing;
    }
}
