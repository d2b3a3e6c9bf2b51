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
import dev.hatchery.kernel.KernelCache;
import dev.hatchery.kvm.NetDevice;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Real KVM and real taps (in the lab: all traffic stays on the lab's private tap addresses): a networked
 * Linux guest answers UDP and TCP, and the tap pool hands out distinct taps and gets every one back.
 */
class NetIT
{
    private static final String PREFIX = "hnt";
    private static final int POOL_SIZE = 50;
    private static final String LINUX_CMDLINE = "console=ttyS0 8250.nr_uarts=1 reboot=k panic=1 nomodule i8042.noaux i8042.nomux"
        + " i8042.dumbkbd swiotlb=noforce pci=off hatchery.echo=1";
    private static final int TCP_BYTES = 1 << 20;

    private static VmHost host;
    private static KernelCache kernels;

    @TempDir
    Path dir;

    @BeforeAll
    static void openHost()
    {
        host = VmHost.open();
        host.configureTaps(new TapPool.Settings(PREFIX, POOL_SIZE, "172.30.0.0/16"));
        kernels = new KernelCache();
    }

    @AfterAll
    static void closeHost()
    {
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

    @Test
    void shouldEchoUdpAndChecksumAMebibyteOverTcpFromANetworkedLinuxGuest() throws Exception
    {
        final VmSpec spec = VmSpec.builder().kernel(GuestFiles.vmlinux()).initrd(GuestFiles.initramfs()).cmdline(LINUX_CMDLINE)
            .network(true).bootTimeout(Duration.ofMinutes(3)).conclude();
        final Vm vm = host.launch("net", kernels.prepare(spec), spec);
        final TapLease lease = vm.tapLease();
        try
        {
            vm.bootComplete().get(3, TimeUnit.MINUTES);
            waitFor(() -> vm.console().contains("hatchery-init: serving"), Duration.ofSeconds(60), vm);

            // UDP echo: retried, the first datagram may go while ARP resolves.
            final byte[] payload = "hatchery udp echo".getBytes(StandardCharsets.US_ASCII);
            byte[] echoed = null;
            try (DatagramSocket socket = new DatagramSocket(new InetSocketAddress(lease.hostAddress(), 0)))
            {
                socket.setSoTimeout(2000);
                for (int attempt = 0; attempt < 15 && echoed == null; attempt++)
                {
                    socket.send(new DatagramPacket(payload, payload.length, new InetSocketAddress(lease.guestAddress(), 7)));
                    final DatagramPacket reply = new DatagramPacket(new byte[1500], 1500);
                    try
                    {
                        socket.receive(reply);
                        echoed = java.util.Arrays.copyOf(reply.getData(), reply.getLength());
                    }
                    catch (final SocketTimeoutException ex)
                    {
                        // try again
                    }
                }
            }
            assertArrayEquals(payload, echoed, vm.console());

            // TCP: 1 MiB of random bytes; the guest answers with its length and FNV-1a 64 once we shut down our side.
            final byte[] data = new byte[TCP_BYTES];
            new Random(42).nextBytes(data);
            final long started = System.nanoTime();
            final int length;
            final long hash;
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
            final double seconds = (System.nanoTime() - started) / 1e9;
            assertEquals(TCP_BYTES, length, vm.console());
            assertEquals(fnv1a64(data), hash);
            System.out.printf("NetIT: TCP host->guest %d bytes + reply in %.3f s = %.2f MiB/s (%s)%n", TCP_BYTES, seconds,
                TCP_BYTES / seconds / (1 << 20), System.getenv("HATCHERY_IN_LAB") != null ? "lab (emulated)" : "native KVM");
        }
        finally
        {
            vm.close();
        }
        assertTrue(!lease.isLeased());
        assertEquals(POOL_SIZE, host.taps().available());
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

    private static void waitFor(final java.util.function.BooleanSupplier condition, final Duration timeout, final Vm vm) throws InterruptedException
    {
        final long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean())
        {
            if (System.nanoTime() > deadline)
            {
                throw new AssertionError("timed out after " + timeout + "; console:\n" + vm.console());
            }
            Thread.sleep(50);
        }
    }
}
