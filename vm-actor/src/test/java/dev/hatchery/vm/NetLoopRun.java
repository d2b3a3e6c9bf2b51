package dev.hatchery.vm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;

import dev.hatchery.config.VmSpec;
import dev.hatchery.kernel.KernelCache;

/**
 * One measured configuration of {@link NetIT}'s event-loop comparison: its own host (loop mode fixed before the
 * first VM), N echo guests booted two at a time, then latency, throughput, threads and loop CPU. Everything it
 * opens is closed before {@link #measure()} returns.
 */
final class NetLoopRun
{
    /** The batch command line (no serial console: its interrupts dominate an emulated guest) plus the echo services. */
    static final String QUIET_ECHO_CMDLINE = "8250.nr_uarts=0 reboot=k panic=1 nomodule i8042.noaux i8042.nomux i8042.dumbkbd"
        + " swiotlb=noforce pci=off quiet hatchery.echo=1";
    private static final String PREFIX = "hnl";
    private static final int IN_FLIGHT = 2;
    private static final int LATENCY_ROUNDS = 25;
    private static final Duration LOAD = Duration.ofSeconds(5);
    private static final Duration IDLE = Duration.ofSeconds(2);
    private static final int PAYLOAD = 64;

    private final NetSettings settings;
    private final NetSettings.Loop mode;
    private final int vmCount;
    private final int round;
    private final KernelCache kernels;

    NetLoopRun(final NetSettings settings, final int vmCount, final int round, final KernelCache kernels)
    {
        this.settings = settings;
        this.mode = settings.loop();
        this.vmCount = vmCount;
        this.round = round;
        this.kernels = kernels;
    }

    /** Threads of any network event loop (per VM "net-<vm>", shared "net-loop-<n>"). */
    static List<Thread> netThreads()
    {
        return Thread.getAllStackTraces().keySet().stream().filter(thread -> thread.getName().startsWith("net-") && thread.isAlive())
            .collect(Collectors.toList());
    }

    /** The labelled result line. */
    String measure() throws Exception
    {
        final VmSpec spec = VmSpec.builder().kernel(GuestFiles.vmlinux()).initrd(GuestFiles.initramfs()).cmdline(QUIET_ECHO_CMDLINE)
            .network(true).bootTimeout(Duration.ofMinutes(3)).conclude();
        final ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        final com.sun.management.OperatingSystemMXBean os =
            (com.sun.management.OperatingSystemMXBean)ManagementFactory.getOperatingSystemMXBean();
        final int threadsBefore = threads.getThreadCount();
        final String line;
        final List<Vm> vms = new ArrayList<>();
        final List<DatagramSocket> sockets = new ArrayList<>();
        final VmHost host = VmHost.open();
        try
        {
            host.configureTaps(new TapPool.Settings(PREFIX, vmCount, "172.31.0.0/16"));
            host.configureNetwork(settings);
            // Boot IN_FLIGHT at a time (more Linux guests booting at once can stall nested KVM in the lab).
            final long bootStarted = System.nanoTime();
            for (int i = 0; i < vmCount; i++)
            {
                final Vm vm = host.launch("echo-" + mode.configName() + "-" + i, kernels.prepare(spec), spec);
                vms.add(vm);
                final DatagramSocket socket = new DatagramSocket(new InetSocketAddress(vm.tapLease().hostAddress(), 0));
                sockets.add(socket);
                if (vms.size() % IN_FLIGHT == 0 || i == vmCount - 1)
                {
                    for (int j = vms.size() - 1; j >= 0 && j >= vms.size() - IN_FLIGHT; j--)
                    {
                        waitUntilServing(vms.get(j), sockets.get(j));
                    }
                }
            }
            final double bootSeconds = (System.nanoTime() - bootStarted) / 1e9;

            final List<Thread> loopThreads = netThreads();
            assertEquals(mode == NetSettings.Loop.SHARED ? settings.sharedLoops() : vmCount, loopThreads.size(), "net threads: " + loopThreads);
            final int jvmThreads = threads.getThreadCount();

            // Idle: guests up, nothing sent. What do the loops cost when nothing happens?
            final long idleCpu0 = cpuNanos(threads, loopThreads);
            Thread.sleep(IDLE.toMillis());
            final long idleLoopCpu = cpuNanos(threads, loopThreads) - idleCpu0;

            // Latency: one datagram in flight in the whole system, VM after VM.
            final List<Long> rtt = new ArrayList<>();
            int lost = 0;
            final byte[] payload = new byte[PAYLOAD];
            for (int r = 0; r < LATENCY_ROUNDS; r++)
            {
                for (int i = 0; i < vmCount; i++)
                {
                    ByteBuffer.wrap(payload).putInt(0, r).putInt(4, i);
                    final long sent = System.nanoTime();
                    final byte[] echoed = NetIT.echo(sockets.get(i), vms.get(i).tapLease(), payload, 1, 2000);
                    if (echoed == null)
                    {
                        lost++;
                        continue;
                    }
                    rtt.add((System.nanoTime() - sent) / 1000);
                    assertArrayEquals(payload, echoed);
                }
            }

            // Load: every VM at once, one datagram in flight per VM, for LOAD.
            final AtomicLong echoes = new AtomicLong();
            final AtomicLong timeouts = new AtomicLong();
            final long loadCpu0 = cpuNanos(threads, loopThreads);
            final long processCpu0 = os.getProcessCpuTime();
            final long loadStarted = System.nanoTime();
            final long loadEnds = loadStarted + LOAD.toNanos();
            final List<Thread> clients = new ArrayList<>();
            final List<Throwable> failures = new java.util.concurrent.CopyOnWriteArrayList<>();
            for (int i = 0; i < vmCount; i++)
            {
                final DatagramSocket socket = sockets.get(i);
                final InetSocketAddress guest = new InetSocketAddress(vms.get(i).tapLease().guestAddress(), 7);
                final Thread client = new Thread(() ->
                {
                    try
                    {
                        socket.setSoTimeout(500);
                        final byte[] out = new byte[PAYLOAD];
                        final DatagramPacket reply = new DatagramPacket(new byte[1500], 1500);
                        while (System.nanoTime() < loadEnds)
                        {
                            socket.send(new DatagramPacket(out, out.length, guest));
                            try
                            {
                                socket.receive(reply);
                                echoes.incrementAndGet();
                            }
                            catch (final SocketTimeoutException ex)
                            {
                                timeouts.incrementAndGet();
                            }
                        }
                    }
                    catch (final Exception ex)
                    {
                        failures.add(ex);
                    }
                }, "echo-client-" + i);
                clients.add(client);
                client.start();
            }
            for (final Thread client : clients)
            {
                client.join();
            }
            final double loadSeconds = (System.nanoTime() - loadStarted) / 1e9;
            final long loadLoopCpu = cpuNanos(threads, loopThreads) - loadCpu0;
            final long loadProcessCpu = os.getProcessCpuTime() - processCpu0;
            assertEquals(List.of(), failures);
            assertTrue(echoes.get() > 0, "no echo under load");
            assertTrue(!rtt.isEmpty(), "no echo in the latency phase");
            rtt.sort(null);

            line = String.format("net.loop mode=%s loops=%d round=%d vms=%d jvm_threads=%d jvm_threads_before=%d boot_s=%.1f"
                    + " rtt_p50_us=%d rtt_p90_us=%d rtt_p99_us=%d rtt_max_us=%d rtt_n=%d rtt_lost=%d"
                    + " load_echo_per_s=%.1f load_timeouts=%d loop_cpu_us_per_echo=%.1f process_cpu_us_per_echo=%.1f"
                    + " loop_cpu_pct=%.2f idle_loop_cpu_ms=%.2f",
                mode.configName(), loopThreads.size(), round, vmCount, jvmThreads, threadsBefore, bootSeconds,
                percentile(rtt, 50), percentile(rtt, 90), percentile(rtt, 99), rtt.get(rtt.size() - 1),
                rtt.size(), lost, echoes.get() / loadSeconds, timeouts.get(), loadLoopCpu / 1e3 / echoes.get(),
                loadProcessCpu / 1e3 / echoes.get(), 100.0 * loadLoopCpu / (loadSeconds * 1e9), idleLoopCpu / 1e6);
        }
        finally
        {
            // VMs first: they leave the loop and give their taps back; then the host stops the shared loops and deletes the taps.
            sockets.forEach(DatagramSocket::close);
            vms.forEach(Vm::close);
            host.close();
        }
        // Every loop thread of this run ended with its VMs (per VM) or with the host (shared).
        assertEquals(List.of(), netThreads());
        return line;
    }

    private static void waitUntilServing(final Vm vm, final DatagramSocket socket) throws Exception
    {
        final byte[] probe = "ready?".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        final long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(3);
        while (System.nanoTime() < deadline)
        {
            if (vm.result().isDone())
            {
                throw new AssertionError("VM ended before serving: " + vm.result().get().outcome());
            }
            if (vm.booted() && Arrays.equals(probe, NetIT.echo(socket, vm.tapLease(), probe, 1, 500)))
            {
                return;
            }
            Thread.sleep(vm.booted() ? 0 : 100);
        }
        throw new AssertionError("VM did not answer UDP echo within 3 minutes: vm=" + vm.id());
    }

    /** Nearest-rank percentile of sorted values. */
    static long percentile(final List<Long> sorted, final double percent)
    {
        final int rank = (int)Math.ceil(percent / 100 * sorted.size());
        return sorted.get(Math.max(0, Math.min(sorted.size() - 1, rank - 1)));
    }

    private static long cpuNanos(final ThreadMXBean threads, final List<Thread> loopThreads)
    {
        long total = 0;
        for (final Thread thread : loopThreads)
        {
            total += Math.max(0, threads.getThreadCpuTime(thread.getId()));
        }
        return total;
    }
}
