package dev.hatchery.vm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.DataInputStream;
import java.io.OutputStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import dev.hatchery.config.VmSpec;
import dev.hatchery.devices.virtio.VirtioFeatures;
import dev.hatchery.devices.virtio.VirtioNet;
import dev.hatchery.kernel.KernelCache;
import dev.hatchery.kvm.NetDevice;
import dev.hatchery.kvm.NetIsolation;
import dev.hatchery.kvm.StallWatch;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Real KVM and real taps; all traffic stays inside the lab, or natively inside the network namespace the launcher
 * made (NetIsolation): a networked Linux guest answers UDP and TCP with and without offloads, many guests
 * are served by shared and per-VM event loops (and the cost of each is measured), and the tap pool hands out
 * distinct taps and gets every one back.
 */
class NetIT
{
    private static final String PREFIX = "hnt";
    private static final int POOL_SIZE = 50;
    private static final String LINUX_CMDLINE = "console=ttyS0 8250.nr_uarts=1 reboot=k panic=1 nomodule i8042.noaux i8042.nomux"
        + " i8042.dumbkbd swiotlb=noforce pci=off hatchery.echo=1";
    private static final int TCP_BYTES = 1 << 20;
    /** A transfer still going after this long prints the device's and the tap's state, and again as often. */
    private static final long SLOW_TRANSFER_SECONDS = 20;

    private static VmHost host;
    private static KernelCache kernels;
    private static StallWatch stallWatch;

    @TempDir
    Path dir;

    @BeforeAll
    static void openHost()
    {
        // Natively this JVM must be in a network namespace of its own (the launcher's unshare --net); in the lab, the lab is.
        System.out.println("NetIT: traffic isolation: " + NetIsolation.describe());
        stallWatch = StallWatch.start("NetIT", java.time.Duration.ofMinutes(12));
        host = VmHost.open();
        host.configureTaps(new TapPool.Settings(PREFIX, POOL_SIZE, "172.30.0.0/16"));
        kernels = new KernelCache();
    }

    @AfterAll
    static void closeHost()
    {
        stallWatch.close();
        if (host != null)
        {
            host.close();
            // The pool deletes its persistent taps when the host closes: nothing of ours is left behind.
            assertEquals(List.of(), NetDevice.list(PREFIX));
        }
        if (kernels != null)
        {
            kernels.close();
        }
    }

    @ParameterizedTest(name = "offloads={0}")
    @ValueSource(booleans = {true, false})
    void shouldEchoUdpAndChecksumAMebibyteOverTcpFromANetworkedLinuxGuest(final boolean offloads) throws Exception
    {
        final VmSpec spec = VmSpec.builder().kernel(GuestFiles.vmlinux()).initrd(GuestFiles.initramfs()).cmdline(LINUX_CMDLINE)
            .network(true).bootTimeout(Duration.ofMinutes(3)).conclude();
        // A host of its own per setting: offloads are fixed before the first networked VM.
        try (VmHost offloadHost = VmHost.open())
        {
            offloadHost.configureTaps(new TapPool.Settings("hno", 1, "172.29.0.0/16"));
            offloadHost.configureNetwork(NetSettings.defaults().withOffloads(offloads));
            final Vm vm = offloadHost.launch("net", kernels.prepare(spec), spec);
            final TapLease lease = vm.tapLease();
            try
            {
                waitFor(vm::booted, Duration.ofMinutes(3), vm);
                waitFor(() -> vm.console().contains("hatchery-init: serving"), Duration.ofSeconds(60), vm);

                // The guest took every offload offered (Linux's virtio_net does), or none was offered.
                final long offloadBits = VirtioFeatures.bit(VirtioNet.VIRTIO_NET_F_CSUM) | VirtioFeatures.bit(VirtioNet.VIRTIO_NET_F_GUEST_CSUM)
                    | VirtioFeatures.bit(VirtioNet.VIRTIO_NET_F_GUEST_TSO4) | VirtioFeatures.bit(VirtioNet.VIRTIO_NET_F_HOST_TSO4);
                assertEquals(offloads ? offloadBits : 0, vm.network().ackedFeatures() & offloadBits,
                    "acked=0x" + Long.toHexString(vm.network().ackedFeatures()));

                // UDP echo: retried, the first datagram may go while ARP resolves.
                final byte[] payload = "hatchery udp echo".getBytes(StandardCharsets.US_ASCII);
                try (DatagramSocket socket = new DatagramSocket(new InetSocketAddress(lease.hostAddress(), 0)))
                {
                    assertArrayEquals(payload, echo(socket, lease, payload, 15, 2000), vm.console());
                }

                // TCP: 1 MiB of random bytes; the guest answers with its length and FNV-1a 64 once we shut down our side.
                // Three transfers: the first one in this JVM also pays for JIT compilation of the device path.
                final byte[] data = new byte[TCP_BYTES];
                new Random(42).nextBytes(data);
                final List<Double> rates = new ArrayList<>();
                for (int transfer = 0; transfer < 3; transfer++)
                {
                    rates.add(tcpChecksum(lease, data, vm));
                }
                final List<Double> sorted = new ArrayList<>(rates);
                sorted.sort(null);
                System.out.printf("net.offloads offloads=%s tcp_bytes=%d mib_per_s_median=%.2f mib_per_s_each=%s rx_frames=%d"
                    + " tx_frames=%d env=\"%s\"%n", offloads ? "on" : "off", TCP_BYTES, sorted.get(1),
                    rates.stream().map(rate -> String.format("%.2f", rate)).collect(java.util.stream.Collectors.joining(",")),
                    vm.network().device().rxFrames(), vm.network().device().txFrames(), NetIsolation.describe());
                // The guest's clock facts, to compare with a guest that stalls (lab/README.md, "Stalls").
                System.out.println("net.guest_clock " + vm.console().lines().filter(line -> line.matches("(?i).*(tsc|clocksource|kvm-clock|apic).*"))
                    .map(String::trim).collect(java.util.stream.Collectors.joining(" | ")));
            }
            finally
            {
                vm.close();
            }
            assertTrue(!lease.isLeased());
            assertEquals(1, offloadHost.taps().available());
        }
        assertEquals(List.of(), NetDevice.list("hno"));
    }

    /**
     * The measurement behind the event-loop default (README "Networking"): per mode, N networked Linux guests
     * serving UDP echo; ping-pong latency one VM at a time, then every VM at once for a fixed time; threads and
     * the loop threads' CPU time. Configurations alternate over rounds (lab timings drift): compare within one run.
     * HATCHERY_NETLOOP_VMS and HATCHERY_NETLOOP_ROUNDS size it: the suite runs 3 VMs once (more than about 3
     * Linux guests at once can stall the emulated lab's nested KVM for good); the README's figures used 8 VMs, 3 rounds.
     */
    @Test
    void shouldServeManyVmsFromSharedAndPerVmEventLoopsAndReportTheirCost() throws Exception
    {
        final int vms = Integer.parseInt(System.getenv().getOrDefault("HATCHERY_NETLOOP_VMS", "3"));
        final int rounds = Integer.parseInt(System.getenv().getOrDefault("HATCHERY_NETLOOP_ROUNDS", "1"));
        // Per VM; one shared loop; a few shared loops (each is one thread among the vCPU threads for the scheduler).
        final List<NetSettings> configs = List.of(NetSettings.defaults().withLoop(NetSettings.Loop.PER_VM),
            new NetSettings(NetSettings.Loop.SHARED, 1, true), new NetSettings(NetSettings.Loop.SHARED, 4, true));
        for (int round = 1; round <= rounds; round++)
        {
            for (final NetSettings config : configs)
            {
                final NetLoopRun run = new NetLoopRun(config, vms, round, kernels);
                System.out.println(run.measure() + " env=\"" + NetIsolation.describe() + "\"");
            }
        }
        assertEquals(0, NetLoopRun.netThreads().size(), "net threads left: " + NetLoopRun.netThreads());
    }

    /**
     * One 1 MiB transfer to the guest's TCP port 9000 and its checked reply: MiB/s. A transfer still going after
     * {@link #SLOW_TRANSFER_SECONDS} prints, every as many seconds, where the device, its queues and the tap stand (the
     * lab's stall watch ends a lab whose guests make no exit for a minute; this says what they were waiting for).
     */
    static double tcpChecksum(final TapLease lease, final byte[] data, final Vm vm) throws java.io.IOException
    {
        final long started = System.nanoTime();
        final int length;
        final long hash;
        final java.util.concurrent.ScheduledExecutorService watch = java.util.concurrent.Executors.newSingleThreadScheduledExecutor();
        watch.scheduleAtFixedRate(() -> System.out.printf("net.slow_transfer elapsed_s=%d %s%n  tap: %s%n  host tcp: %s%n",
            (System.nanoTime() - started) / 1_000_000_000L, vm.network().describe(), hostCommand("ip", "-s", "link", "show", "dev",
                lease.tapName()), hostCommand("ss", "-tin", "dst", lease.guestAddress().getHostAddress())),
            SLOW_TRANSFER_SECONDS, SLOW_TRANSFER_SECONDS, TimeUnit.SECONDS);
        try (Socket socket = new Socket())
        {
            socket.bind(new InetSocketAddress(lease.hostAddress(), 0));
            socket.connect(new InetSocketAddress(lease.guestAddress(), 9000), 30_000);
            socket.setSoTimeout(120_000);
            final OutputStream out = socket.getOutputStream();
            out.write(data);
            out.flush();
            socket.shutdownOutput();
            final DataInputStream in = new DataInputStream(socket.getInputStream());
            length = in.readInt();
            hash = in.readLong();
        }
        finally
        {
            watch.shutdownNow();
        }
        final double seconds = (System.nanoTime() - started) / 1e9;
        assertEquals(data.length, length, vm.console());
        assertEquals(fnv1a64(data), hash);
        return data.length / seconds / (1 << 20);
    }

    /**
     * A host tool's output on one line: `ip -s link` of the tap (its drops: frames lost between the host and the device),
     * `ss -tin` of the connection (the host's retransmissions and timeout: whether it waits on lost segments).
     */
    private static String hostCommand(final String... command)
    {
        try
        {
            final Process ip = new ProcessBuilder(command).redirectErrorStream(true).start();
            final String text = new String(ip.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            ip.waitFor(5, TimeUnit.SECONDS);
            return text.replace('\n', ' ').replaceAll(" +", " ");
        }
        catch (final java.io.IOException | InterruptedException ex)
        {
            return "unavailable: " + ex;
        }
    }

    /** Sends {@code payload} until it comes back (up to {@code attempts} times); null if it never did. */
    static byte[] echo(final DatagramSocket socket, final TapLease lease, final byte[] payload, final int attempts, final int timeoutMillis)
        throws java.io.IOException
    {
        socket.setSoTimeout(timeoutMillis);
        for (int attempt = 0; attempt < attempts; attempt++)
        {
            socket.send(new DatagramPacket(payload, payload.length, new InetSocketAddress(lease.guestAddress(), 7)));
            final DatagramPacket reply = new DatagramPacket(new byte[1500], 1500);
            try
            {
                socket.receive(reply);
                return java.util.Arrays.copyOf(reply.getData(), reply.getLength());
            }
            catch (final SocketTimeoutException ex)
            {
                // try again
            }
        }
        return null;
    }

    @Test
    void shouldLeaseDistinctTapsToFiftyNetworkedVmsAndTakeEveryOneBack() throws Exception
    {
        final VmSpec spec = VmSpec.builder().kernel(GuestFiles.write(dir, "idle", GuestFiles.elf64(0x100000, GuestFiles.IDLE_FOREVER)))
            .memMib(16).network(true).bootTimeout(Duration.ofMinutes(10)).conclude();
        final List<Vm> vms = new ArrayList<>();
        try
        {
            for (int i = 0; i < POOL_SIZE; i++)
            {
                vms.add(host.launch("pool-" + i, kernels.prepare(spec), spec));
            }
            final Set<String> taps = new HashSet<>();
            final Set<String> guests = new HashSet<>();
            final Set<String> hosts = new HashSet<>();
            for (final Vm vm : vms)
            {
                taps.add(vm.tapLease().tapName());
                guests.add(vm.tapLease().guestAddress().getHostAddress());
                hosts.add(vm.tapLease().hostAddress().getHostAddress());
            }
            assertEquals(POOL_SIZE, taps.size());
            assertEquals(POOL_SIZE, guests.size());
            assertEquals(POOL_SIZE, hosts.size());
            assertEquals(0, host.taps().available());

            final TapPoolExhaustedException ex = assertThrows(TapPoolExhaustedException.class,
                () -> host.launch("one-too-many", kernels.prepare(spec), spec));
            assertTrue(ex.getMessage().startsWith("no free tap: pool prefix=" + PREFIX + " size=" + POOL_SIZE), ex.getMessage());
        }
        finally
        {
            vms.forEach(Vm::close);
        }
        for (final Vm vm : vms)
        {
            assertEquals(VmOutcome.Kind.CANCELLED, vm.result().get(10, TimeUnit.SECONDS).outcome().kind());
        }
        assertEquals(POOL_SIZE, host.taps().available());
        // Every tap is still there (persistent, for the next VM) and no other tap with our prefix appeared.
        assertEquals(new HashSet<>(host.taps().names()), new HashSet<>(NetDevice.list(PREFIX)));
    }

    private static long fnv1a64(final byte[] data)
    {
        long hash = 0xcbf29ce484222325L;
        for (final byte b : data)
        {
            hash = (hash ^ (b & 0xff)) * 0x100000001b3L;
        }
        return hash;
    }

    static void waitFor(final java.util.function.BooleanSupplier condition, final Duration timeout, final Vm vm) throws InterruptedException
    {
        final long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean())
        {
            if (System.nanoTime() > deadline)
            {
                // Where the guest stands, for a guest that stopped making progress (lab/README.md, "Stalls"): its console,
                // its network device's queues, and KVM's own view of every vCPU (TSC offset and scaling, exits, halts).
                throw new AssertionError("timed out after " + timeout + "; console:\n" + vm.console() + "\nnetwork: "
                    + (vm.network() == null ? "none" : vm.network().describe()) + "\nkvm: " + hostCommand("sh", "-c",
                    "cd /sys/kernel/debug/kvm 2>/dev/null && grep -r . */vcpu0 */exits */halt_exits */halt_wakeup 2>/dev/null | head -200"));
            }
            Thread.sleep(50);
        }
    }
}
