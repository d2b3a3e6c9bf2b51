package dev.hatchery.vm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import dev.hatchery.config.SpawnMode;
import dev.hatchery.config.VmSpec;
import dev.hatchery.devices.CloneIdentityDevice;
import dev.hatchery.kernel.KernelCache;
import dev.hatchery.kernel.PreparedKernel;
import dev.hatchery.kvm.GuestMemory;
import dev.hatchery.kvm.Kvm;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Real /dev/kvm (natively or in the lab): a Linux guest boots once as a clone template, is captured at its ready
 * point, and its clones resume there as distinct machines (own number, own random numbers, a clock that carried on),
 * each with memory of its own, leaving nothing behind.
 */
class CloneIT
{
    private static final String LINUX_CMDLINE = "console=ttyS0 8250.nr_uarts=1 reboot=k panic=1 nomodule i8042.noaux i8042.nomux"
        + " i8042.dumbkbd swiotlb=noforce pci=off";
    /** What each clone's /init prints after it applied its identity (guest/init/init.c, become_clone). */
    private static final Pattern CLONE_LINE = Pattern.compile("hatchery-init: clone=(\\d+) random=([0-9a-f]{64}) monotonic_ns=(\\d+),(\\d+) ip=");
    private static final int CLONES = 1000;
    private static final int AT_ONCE = 10;
    private static final int NETWORKED_CLONES = 20;

    private static VmHost host;
    private static KernelCache kernels;

    @BeforeAll
    static void openHost()
    {
        host = VmHost.open(Kvm.DEFAULT_PATH, new HostSettings(2, 2, 1, 4, 2, true));
        host.configureTaps(new TapPool.Settings("hcl", NETWORKED_CLONES + 2, "172.28.0.0/16"));
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

    private static VmSpec cloneSpec()
    {
        return VmSpec.builder().kernel(GuestFiles.vmlinux()).initrd(GuestFiles.initramfs()).cmdline(LINUX_CMDLINE)
            .bootTimeout(Duration.ofMinutes(3)).spawn(SpawnMode.CLONE).conclude();
    }

    private static CloneTemplate template(final VmSpec spec)
    {
        final PreparedKernel kernel = kernels.prepare(spec.cloneTemplateSpec());
        return host.acquireCloneTemplate(spec, kernel);
    }

    @Test
    void shouldResumeEveryCloneAsItsOwnMachineAndLeaveNothingBehind() throws Exception
    {
        final VmSpec spec = cloneSpec();
        final PreparedKernel kernel = kernels.prepare(spec.cloneTemplateSpec());
        // A first host warms up what outlives any host (JIT code, malloc arenas, JNA stubs, the entropy source); a host
        // with its template and 1000 clones, closed, must then leave exactly what the first one did. (Comparing while a host
        // is open would count its pool of shells, which recycling refills at its own pace.)
        runHostWithClones(spec, kernel, AT_ONCE);
        final ProcessResources before = ProcessResources.settled(null);
        final List<String> fdsBefore = ProcessResources.fdTargets();
        final long vmMappingsBefore = ProcessResources.vmMappings(spec.memBytes());
        final long hostThreadsBefore = ProcessResources.hostThreads();

        final List<VmResult> results = runHostWithClones(spec, kernel, CLONES);

        final ProcessResources after = ProcessResources.settled(before);
        assertEquals(before.fds(), after.fds(), () -> "open file descriptors: before " + fdsBefore + "\nafter " + ProcessResources.fdTargets());
        assertEquals(vmMappingsBefore, ProcessResources.vmMappings(spec.memBytes()), "VM memory mappings");
        // The VM host's threads exactly; the JVM's own may end meanwhile (a compiler thread did in a suite run), not grow.
        assertEquals(hostThreadsBefore, ProcessResources.hostThreads(), "VM host threads");
        assertTrue(after.threads() <= before.threads(), "threads: before " + before.threads() + " after " + after.threads());
        final Set<Long> numbers = new HashSet<>();
        final Set<String> randoms = new HashSet<>();
        for (final VmResult result : results)
        {
            assertEquals(VmOutcome.booted("guest reset via i8042"), result.outcome(), result.console());
            assertEquals(SpawnPath.CLONE, result.spawnPath());
            assertTrue(result.timeline().reached(Phase.BOOT_COMPLETE), result.timeline().format());
            final Matcher line = CLONE_LINE.matcher(result.console());
            assertTrue(line.find(), "no clone line in the console: " + result.console());
            assertTrue(!result.console().contains(" failed"), "a step of the clone's /init failed: " + result.console());
            numbers.add(Long.parseLong(line.group(1)));
            randoms.add(line.group(2));
            final long beforeReady = Long.parseLong(line.group(3));
            final long afterResume = Long.parseLong(line.group(4));
            // Neither backwards nor standing still, and no jump: the TSC and kvmclock carry on from the capture.
            assertTrue(afterResume > beforeReady && afterResume - beforeReady < 2_000_000_000L, "guest clock across the clone: " + line.group());
            // The clone's console holds only what it printed itself: the template's boot log is not replayed.
            assertTrue(!result.console().contains("Linux version"), result.console());
        }
        assertEquals(CLONES, numbers.size(), "clone numbers are distinct");
        assertEquals(CLONES, randoms.size(), "32 random bytes read by each clone after resume are distinct");
        // One clone's line in the test log, for the record of what a clone sees.
        System.out.println("clone-it: " + results.get(0).console().lines().filter(l -> l.contains("clone=")).findFirst().orElse("?"));
    }

    /** A host with shells (recycled), a template and {@code count} clones, 10 at a time; closed before it returns. */
    private static List<VmResult> runHostWithClones(final VmSpec spec, final PreparedKernel kernel, final int count) throws Exception
    {
        try (VmHost clones = VmHost.open(Kvm.DEFAULT_PATH, new HostSettings(4, 1, 1, 4, 2, true)))
        {
            clones.prepareShells(spec.cloneTemplateSpec(), kernel);
            try (CloneTemplate template = clones.acquireCloneTemplate(spec, kernel))
            {
                assertTrue(template.capturedBytes() > 0 && template.capturedBytes() < spec.memBytes(), "captured bytes: " + template.capturedBytes());
                return runClones(clones, template, spec, count);
            }
        }
    }

    private static List<VmResult> runClones(final VmHost on, final CloneTemplate template, final VmSpec spec, final int count) throws Exception
    {
        final List<VmResult> results = new ArrayList<>();
        for (int started = 0; started < count; started += AT_ONCE)
        {
            final List<Vm> running = new ArrayList<>();
            for (int i = started; i < Math.min(count, started + AT_ONCE); i++)
            {
                running.add(on.launchClone("clone-" + i, template, spec, Timeline.startingNow()));
            }
            for (final Vm vm : running)
            {
                results.add(vm.result().get(3, TimeUnit.MINUTES));
                vm.released().get(1, TimeUnit.MINUTES);
            }
        }
        return results;
    }

    @Test
    void shouldAnswerUdpEchoFromTwentyNetworkedClonesAtOnceEachAtItsOwnAddress() throws Exception
    {
        final VmSpec spec = cloneSpec().toBuilder().cmdline(LINUX_CMDLINE + " hatchery.echo=1").network(true).conclude();
        try (CloneTemplate template = template(spec))
        {
            final List<Vm> clones = new ArrayList<>();
            try
            {
                for (int i = 0; i < NETWORKED_CLONES; i++)
                {
                    clones.add(host.launchClone("net-clone-" + i, template, spec, Timeline.startingNow()));
                }
                final Set<String> addresses = new HashSet<>();
                for (final Vm clone : clones)
                {
                    try
                    {
                        clone.bootComplete().get(2, TimeUnit.MINUTES);
                    }
                    catch (final java.util.concurrent.TimeoutException ex)
                    {
                        throw new AssertionError(clone.id() + " did not signal boot-complete within 2 minutes: " + clone.console() + "\n"
                            + clone.network().describe(), ex);
                    }
                    final TapLease lease = clone.tapLease();
                    addresses.add(lease.guestAddress().getHostAddress());
                    final byte[] payload = ("echo from " + clone.id()).getBytes(java.nio.charset.StandardCharsets.US_ASCII);
                    try (java.net.DatagramSocket socket = new java.net.DatagramSocket(new java.net.InetSocketAddress(lease.hostAddress(), 0)))
                    {
                        org.junit.jupiter.api.Assertions.assertArrayEquals(payload, NetIT.echo(socket, lease, payload, 15, 2000),
                            () -> clone.id() + " at " + lease.guestAddress() + ": " + clone.console() + "\n" + clone.network().describe());
                    }
                    assertTrue(clone.console().contains("ip=" + lease.guestAddress().getHostAddress()), clone.console());
                }
                assertEquals(NETWORKED_CLONES, addresses.size(), "each clone at its own address");
            }
            finally
            {
                for (final Vm clone : clones)
                {
                    clone.stop();
                }
                for (final Vm clone : clones)
                {
                    clone.released().get(1, TimeUnit.MINUTES);
                }
            }
        }
    }

    @Test
    void shouldKeepEachClonesWritesFromOtherClonesAndFromTheTemplate()
    {
        final VmSpec spec = cloneSpec();
        try (CloneTemplate template = template(spec);
            Vm first = Vm.buildClone("first", host.kvm(), new BootCpu(host.kvm()), template.image(), spec, Timeline.startingNow(),
                identity(1), BuildFaults.NONE);
            Vm second = Vm.buildClone("second", host.kvm(), new BootCpu(host.kvm()), template.image(), spec, Timeline.startingNow(),
                identity(2), BuildFaults.NONE);
            GuestMemory original = GuestMemory.anonymous(spec.memBytes()))
        {
            original.mapTemplate(template.image().memory());
            // The kernel's first page of text: non-zero in the template, so the file's bytes are what clones read.
            final long address = 0x1000000;
            final long templateWord = original.view(address, 8).getLong(0);
            assertNotEquals(0, templateWord);
            assertEquals(templateWord, first.memory().view(address, 8).getLong(0));

            first.memory().view(address, 8).putLong(0, ~templateWord);

            assertEquals(~templateWord, first.memory().view(address, 8).getLong(0));
            assertEquals(templateWord, second.memory().view(address, 8).getLong(0), "another clone sees its own page");
            assertEquals(templateWord, original.view(address, 8).getLong(0), "the template is unchanged");
        }
    }

    private static CloneIdentityDevice.Identity identity(final long number)
    {
        return new CloneIdentityDevice.Identity(number, new byte[CloneIdentityDevice.ENTROPY_BYTES]);
    }

    @Test
    void shouldRefuseACloneWhoseSpecDiffersFromItsTemplates()
    {
        final VmSpec spec = cloneSpec();
        try (CloneTemplate template = template(spec))
        {
            final VmSpec bigger = spec.toBuilder().memMib(256).conclude();

            final IllegalArgumentException refused = assertThrows(IllegalArgumentException.class,
                () -> host.launchClone("misfit", template, bigger, Timeline.startingNow()));

            assertTrue(refused.getMessage().contains("a clone must have its template's spec: vm=misfit"), refused.getMessage());
            assertTrue(refused.getMessage().contains("mem_mib=256"), refused.getMessage());
        }
    }

    @Test
    void shouldFailTheTemplateOfAGuestThatNeverReachesTheReadyPoint()
    {
        // The flat guest signals boot-complete and stops: it has no /init to stop at the ready point.
        final VmSpec spec = VmSpec.builder().kernel(GuestFiles.flat()).tripleFaultIsStop(true).bootTimeout(Duration.ofSeconds(30))
            .spawn(SpawnMode.CLONE).conclude();

        final IllegalStateException failed = assertThrows(IllegalStateException.class, () -> template(spec));

        assertTrue(failed.getMessage().contains("ended before its guest reached the clone ready point"), failed.getMessage());
        assertTrue(failed.getMessage().contains("BOOTED guest stopped by triple fault"), failed.getMessage());
    }
}
