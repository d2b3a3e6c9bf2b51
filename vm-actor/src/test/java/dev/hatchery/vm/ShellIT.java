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
import dev.hatchery.kvm.Msrs;
import dev.hatchery.kvm.Regs;
import dev.hatchery.kvm.VcpuState;

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
    /** IA32_TSC, HV_X64_MSR_VP_RUNTIME, HV_X64_MSR_TIME_REF_COUNT. */
    private static final java.util.Set<Integer> MOVING_COUNTERS = java.util.Set.of(0x10, 0x40000010, 0x40000020);
    private static final int MSR_SYSENTER_EIP = 0x176;
    private static final int MSR_LSTAR = 0xc0000082;

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
        try (VmHost host = VmHost.open(Kvm.DEFAULT_PATH, new HostSettings(depth, 2, 2, 2, 1, false)))
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
                    // The flat guest has no /init and runs no function: those phases are not reached; every other comes in order.
                    if (phase != Phase.INIT_STARTED && phase != Phase.FUNCTION_REPLIED)
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
     * writes into its copy-on-write pages, and none of that reaches the template: the second VM runs in the first
     * one's shell, reset (recycled), boots Linux the same way, and the template's pages hash the same before and after.
     */
    @Test
    void shouldBootLinuxFromAShellAndKeepTheGuestsWritesOutOfTheTemplate() throws Exception
    {
        final VmSpec spec = linuxSpec();
        final PreparedKernel kernel = kernels.prepare(spec);
        final long[] templateBefore = templateHashes(kernel);
        try (VmHost host = VmHost.open(Kvm.DEFAULT_PATH, new HostSettings(2, 2, 2, 2, 1, true)))
        {
            host.prepareShells(spec, kernel);

            final Vm first = host.launch("cow-1", kernel, spec);
            final CompletableFuture<Integer> pagesWritten = new CompletableFuture<>();
            // Runs on the vCPU thread inside the boot-complete exit: the guest is paused, its memory still mapped.
            first.bootComplete().thenRun(() -> pagesWritten.complete(differingPages(pageHashes(first.memory(), kernel.template().size()),
                templateBefore)));
            final VmResult firstResult = first.result().get(3, TimeUnit.MINUTES);
            first.released().get(1, TimeUnit.MINUTES);
            final Vm second = host.launch("cow-2", kernel, spec);
            final VmResult secondResult = second.result().get(3, TimeUnit.MINUTES);

            assertEquals(SpawnPath.SHELL, firstResult.spawnPath());
            assertEquals(SpawnPath.RECYCLED, secondResult.spawnPath(), "the second VM takes the first one's shell, reset");
            assertTrue(host.stats().shellsRecycled() >= 1, host.stats().toString());
            assertEquals(VmOutcome.booted("guest reset via i8042"), firstResult.outcome(), firstResult.console());
            assertEquals(VmOutcome.booted("guest reset via i8042"), secondResult.outcome(), secondResult.console());
            assertTrue(secondResult.console().contains("hatchery-init: started"), secondResult.console());
            final int written = pagesWritten.get(1, TimeUnit.SECONDS);
            assertTrue(written > 0, "the guest wrote into template-backed pages: " + written);
        }
        assertArrayEquals(templateBefore, templateHashes(kernel),
            "template pages after two guests wrote into their copies");
    }

    /**
     * A reset puts a used shell in exactly the state of a fresh one: what a guest would have written (template pages,
     * RAM beyond the template, registers, MSRs) is gone, every MSR KVM saves reads as in the fresh shell, and the vCPU
     * stands at the kernel entry. No guest runs here: the writes are made from outside, where they can be placed.
     */
    @Test
    void shouldResetAUsedShellToTheStateOfAFreshOne()
    {
        final VmSpec spec = flatSpec();
        final PreparedKernel kernel = kernels.prepare(spec);
        final long[] template = templateHashes(kernel);
        try (Kvm kvm = Kvm.open(Kvm.DEFAULT_PATH))
        {
            final BootCpu bootCpu = new BootCpu(kvm);
            final VmShell.Shape shape = VmShell.Shape.of(spec, kernel);
            try (VmShell fresh = VmShell.create(kvm, shape, bootCpu); VmShell used = VmShell.create(kvm, shape, bootCpu))
            {
                final ShellRecycler.Pristine pristine = new ShellRecycler.Pristine(VcpuState.capture(fresh.vcpu(), kvm.msrIndexList()),
                    fresh.kvmVm().captureChips());
                final GuestMemory memory = used.memory();
                final long ramEnd = memory.size() - 1;
                for (long page = 0; page < template.length; page += 7)
                {
                    memory.view(page * PAGE, 8).putLong(0, 0x5eed_0000_0000_0000L | page);
                }
                memory.view(ramEnd, 1).putByte(0, (byte)0x5a);
                used.vcpu().setRegs(new Regs().set(Regs.Reg.RIP, 0xdead_0000L).set(Regs.Reg.RAX, 42).set(Regs.Reg.RFLAGS, 0x2));
                used.vcpu().setMsrs(new Msrs(2).add(MSR_LSTAR, 0xffff_ffff_8100_0000L).add(MSR_SYSENTER_EIP, 0x1234));

                used.reset(pristine, bootCpu);

                assertArrayEquals(template, pageHashes(memory, kernel.template().size()), "template pages after the reset");
                assertEquals(0, memory.view(ramEnd, 1).getByte(0), "RAM beyond the template reads as zeros again");
                final VcpuState after = VcpuState.capture(used.vcpu(), kvm.msrIndexList());
                assertEquals(kernel.entry(), after.register(Regs.Reg.RIP));
                assertEquals(0, after.register(Regs.Reg.RAX));
                assertEquals(pristine.vcpu().msrCount(), after.msrCount());
                final List<String> differing = new ArrayList<>();
                for (final int msr : pristine.vcpu().msrIndices())
                {
                    // Counters that move on by themselves: the time-stamp counter, Hyper-V's VP runtime and reference time.
                    if (!MOVING_COUNTERS.contains(msr) && pristine.vcpu().msr(msr) != after.msr(msr))
                    {
                        differing.add(String.format("0x%x: fresh 0x%x, reset 0x%x", msr, pristine.vcpu().msr(msr), after.msr(msr)));
                    }
                }
                assertTrue(differing.isEmpty(), "MSRs that differ from a fresh shell's after the reset: " + differing);
                assertTrue(used.recycled());
            }
        }
    }

    /** Sequential VMs run on the same few shells over and over: nothing is made beyond the prepared depth. */
    @Test
    void shouldRunSequentialVmsOnRecycledShellsWithoutMakingNewOnes() throws Exception
    {
        final VmSpec spec = flatSpec();
        final PreparedKernel kernel = kernels.prepare(spec);
        try (VmHost host = VmHost.open(Kvm.DEFAULT_PATH, new HostSettings(2, 2, 1, 2, 1, true)))
        {
            host.prepareShells(spec, kernel);
            final List<SpawnPath> paths = new ArrayList<>();
            for (int i = 0; i < 6; i++)
            {
                final Vm vm = host.launch("again-" + i, kernel, spec);
                final VmResult result = vm.result().get(60, TimeUnit.SECONDS);
                assertTrue(result.outcome().isBooted(), result.outcome() + " " + result.console());
                vm.released().get(60, TimeUnit.SECONDS);
                paths.add(result.spawnPath());
            }

            assertEquals(SpawnPath.SHELL, paths.get(0));
            assertEquals(List.of(SpawnPath.RECYCLED, SpawnPath.RECYCLED, SpawnPath.RECYCLED, SpawnPath.RECYCLED, SpawnPath.RECYCLED),
                paths.subList(1, 6));
            final HostStats stats = host.stats();
            assertEquals(2, stats.shellsMade(), "only the prepared shells were ever made");
            assertEquals(6, stats.shellsRecycled());
            assertEquals(0, stats.shellRecycleFailures());
            assertEquals(2, stats.shellsReady());
        }
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
        final long vmMappingsBefore = ProcessResources.vmMappings(spec.memBytes());

        runHostWithShells(kernel, spec);

        final ProcessResources after = ProcessResources.settled(before);
        assertEquals(before.fds(), after.fds(), "open file descriptors");
        // The VMs' mappings exactly (KVM's vCPU pages, templates, guest RAM); all mappings moved by one in a suite run
        // of 2026-12-05, where the JVM itself may map another code-heap or arena segment at any time.
        assertEquals(vmMappingsBefore, ProcessResources.vmMappings(spec.memBytes()), "VM memory mappings");
        assertEquals(before.threads(), after.threads(), "threads");
    }

    private static void runHostWithShells(final PreparedKernel kernel, final VmSpec spec) throws Exception
    {
        try (VmHost host = VmHost.open(Kvm.DEFAULT_PATH, new HostSettings(4, 2, 2, 4, 2, true)))
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
