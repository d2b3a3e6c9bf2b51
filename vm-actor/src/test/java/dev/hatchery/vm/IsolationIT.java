package dev.hatchery.vm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Collectors;

import dev.hatchery.config.VmSpec;
import dev.hatchery.kernel.KernelCache;
import dev.hatchery.kvm.NetDevice;
import dev.hatchery.kvm.NetIsolation;
import dev.hatchery.kvm.StallWatch;

import org.junit.jupiter.api.Test;

/**
 * Real KVM, real taps, real Linux guests, the pool's real nftables firewall (README "Isolation"): guest A starts
 * traffic ({@code hatchery.probe=}, guest/init) at guest B, at host services bound on 0.0.0.0, and with a spoofed source
 * address and a spoofed MAC; the host's sockets show what arrived. The allowed paths still work: the host-service a
 * setting opened, and the host's UDP echo and TCP checksum exchanges with guest B.
 */
class IsolationIT
{
    private static final String PREFIX = "hiso";
    /** Slot 0 (B): host .1, guest .2; slot 1 (A): host .5, guest .6 — a fresh pool leases in slot order. */
    private static final String B_HOST = "172.27.0.1";
    private static final String B_GUEST = "172.27.0.2";
    private static final String A_HOST = "172.27.0.5";
    private static final String A_GUEST = "172.27.0.6";
    private static final int ALLOWED_UDP = 7001;
    private static final int ALLOWED_TCP = 7002;
    private static final int CLOSED_TCP = 7003;
    private static final int CLOSED_UDP = 7004;
    private static final String BASE_CMDLINE = "console=ttyS0 8250.nr_uarts=1 reboot=k panic=1 nomodule i8042.noaux i8042.nomux"
        + " i8042.dumbkbd swiotlb=noforce pci=off";

    /** What guest A tries, in order, and whether it must get through. */
    private static final Map<String, Boolean> PROBES = new java.util.LinkedHashMap<>();

    static
    {
        PROBES.put("udp:" + A_HOST + ":" + ALLOWED_UDP, true);
        PROBES.put("raw:" + A_HOST + ":" + ALLOWED_UDP, true);
        PROBES.put("spoofip:" + A_HOST + ":" + ALLOWED_UDP + ":" + B_GUEST, false);
        PROBES.put("spoofmac:" + A_HOST + ":" + ALLOWED_UDP, false);
        PROBES.put("udp:" + B_HOST + ":" + ALLOWED_UDP, false);
        PROBES.put("udp:" + A_HOST + ":" + CLOSED_UDP, false);
        PROBES.put("tcp:" + A_HOST + ":" + ALLOWED_TCP, true);
        PROBES.put("tcp:" + A_HOST + ":" + CLOSED_TCP, false);
        PROBES.put("tcp:" + B_HOST + ":" + ALLOWED_TCP, false);
        PROBES.put("tcp:" + B_GUEST + ":9000", false);
        PROBES.put("udp:" + B_GUEST + ":7", false);
    }

    @Test
    void shouldKeepAGuestFromOtherGuestsTheRestOfTheHostAndOtherSourcesWhileTheAllowedPathsWork() throws Exception
    {
        System.out.println("IsolationIT: traffic isolation: " + NetIsolation.describe());
        final List<String> udpArrived = new CopyOnWriteArrayList<>();
        final Set<String> tcpAccepted = ConcurrentHashMap.newKeySet();
        try (StallWatch watch = StallWatch.start("IsolationIT", Duration.ofMinutes(10));
             KernelCache kernels = new KernelCache();
             VmHost host = VmHost.open();
             DatagramSocket allowedUdp = new DatagramSocket(new InetSocketAddress("0.0.0.0", ALLOWED_UDP));
             DatagramSocket closedUdp = new DatagramSocket(new InetSocketAddress("0.0.0.0", CLOSED_UDP));
             ServerSocket allowedTcp = new ServerSocket(ALLOWED_TCP, 8, java.net.InetAddress.getByName("0.0.0.0"));
             ServerSocket closedTcp = new ServerSocket(CLOSED_TCP, 8, java.net.InetAddress.getByName("0.0.0.0")))
        {
            host.configureTaps(new TapPool.Settings(PREFIX, 2, "172.27.0.0/16")
                .withIsolation(new Isolation(true, List.of("udp/" + ALLOWED_UDP, "tcp/" + ALLOWED_TCP), List.of())));
            final List<Thread> listeners = List.of(receiver(allowedUdp, udpArrived, "allowed"), receiver(closedUdp, udpArrived, "closed"),
                acceptor(allowedTcp, tcpAccepted, "allowed"), acceptor(closedTcp, tcpAccepted, "closed"));

            final VmSpec echo = linux(BASE_CMDLINE + " hatchery.echo=1");
            final VmSpec probe = linux(BASE_CMDLINE + " hatchery.stay=1 hatchery.probe=" + String.join(",", PROBES.keySet()));
            final Vm b = host.launch("iso-b", kernels.prepare(echo), echo);
            try
            {
                final Vm a = host.launch("iso-a", kernels.prepare(probe), probe);
                try
                {
                    assertEquals(B_GUEST, b.tapLease().guestAddress().getHostAddress());
                    assertEquals(A_GUEST, a.tapLease().guestAddress().getHostAddress());
                    final String table = hostCommand("nft", "list", "table", "inet", "hatchery_" + PREFIX);
                    assertTrue(table.contains("\"" + PREFIX + "1\" . " + A_GUEST), "the pool's firewall is installed:\n" + table);

                    NetIT.waitFor(() -> a.console().contains("hatchery-probe: done"), Duration.ofMinutes(4), a);
                    NetIT.waitFor(() -> b.console().contains("hatchery-init: serving"), Duration.ofMinutes(3), b);
                    // Stragglers: a datagram that got through would arrive within milliseconds, even emulated.
                    Thread.sleep(2000);

                    final String results = a.console().lines().filter(line -> line.startsWith("hatchery-probe:"))
                        .collect(Collectors.joining("\n"));
                    System.out.println("isolation.probes\n" + results);
                    System.out.println("isolation.arrived udp=" + udpArrived + " tcp=" + tcpAccepted + " a_device=" + a.network().device());
                    assertEquals(List.of("allowed:" + A_GUEST + ":udp:" + A_HOST + ":" + ALLOWED_UDP,
                        "allowed:" + A_GUEST + ":raw:" + A_HOST + ":" + ALLOWED_UDP), udpArrived,
                        "only the guest's own datagrams to the opened service arrive; probes:\n" + results);
                    assertEquals(Set.of("allowed:" + A_GUEST), tcpAccepted, "probes:\n" + results);
                    for (final Map.Entry<String, Boolean> entry : PROBES.entrySet())
                    {
                        if (entry.getKey().startsWith("tcp:"))
                        {
                            final String expected = "hatchery-probe: " + entry.getKey() + " -> " + (entry.getValue() ? "connected" : "failed");
                            assertTrue(results.contains(expected), "expected \"" + expected + "\" in:\n" + results);
                        }
                        else
                        {
                            assertTrue(results.contains("hatchery-probe: " + entry.getKey() + " -> sent"),
                                "the guest sent " + entry.getKey() + ", so only the host stopped it:\n" + results);
                        }
                    }
                    assertTrue(a.network().device().txFiltered() >= 2, "the VMM dropped the spoofed frames itself: " + a.network().device());

                    // The allowed path: the host's exchanges with guest B (replies to what the host opened) still work.
                    final byte[] payload = "hatchery isolation echo".getBytes(StandardCharsets.US_ASCII);
                    try (DatagramSocket socket = new DatagramSocket(new InetSocketAddress(b.tapLease().hostAddress(), 0)))
                    {
                        assertArrayEquals(payload, NetIT.echo(socket, b.tapLease(), payload, 15, 2000), b.console());
                    }
                    final byte[] data = new byte[256 * 1024];
                    new Random(7).nextBytes(data);
                    NetIT.tcpChecksum(b.tapLease(), data, b);
                }
                finally
                {
                    a.close();
                }
            }
            finally
            {
                b.close();
            }
            allowedUdp.close();
            closedUdp.close();
            allowedTcp.close();
            closedTcp.close();
            for (final Thread listener : listeners)
            {
                listener.join(10_000);
            }
        }
        assertEquals(List.of(), NetDevice.list(PREFIX));
        assertFalse(hostCommand("nft", "list", "tables").contains("hatchery_" + PREFIX), "the pool removed its firewall");
    }

    private static VmSpec linux(final String cmdline)
    {
        return VmSpec.builder().kernel(GuestFiles.vmlinux()).initrd(GuestFiles.initramfs()).cmdline(cmdline).network(true)
            .bootTimeout(Duration.ofMinutes(3)).conclude();
    }

    /** Records "label:sourceAddress:payload" for each datagram until the socket is closed. */
    private static Thread receiver(final DatagramSocket socket, final List<String> arrived, final String label)
    {
        final Thread thread = new Thread(() ->
        {
            final byte[] buffer = new byte[2048];
            while (!socket.isClosed())
            {
                final DatagramPacket packet = new DatagramPacket(buffer, buffer.length);
                try
                {
                    socket.receive(packet);
                    arrived.add(label + ":" + packet.getAddress().getHostAddress() + ":"
                        + new String(packet.getData(), 0, packet.getLength(), StandardCharsets.US_ASCII));
                }
                catch (final IOException ex)
                {
                    return;
                }
            }
        }, "isolation-udp-" + label);
        thread.setDaemon(true);
        thread.start();
        return thread;
    }

    /** Records "label:peerAddress" for each connection accepted until the socket is closed. */
    private static Thread acceptor(final ServerSocket server, final Set<String> accepted, final String label)
    {
        final Thread thread = new Thread(() ->
        {
            while (!server.isClosed())
            {
                try (Socket socket = server.accept())
                {
                    accepted.add(label + ":" + socket.getInetAddress().getHostAddress());
                }
                catch (final IOException ex)
                {
                    return;
                }
            }
        }, "isolation-tcp-" + label);
        thread.setDaemon(true);
        thread.start();
        return thread;
    }

    private static String hostCommand(final String... command)
    {
        try
        {
            final Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
            final String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            process.waitFor();
            return output;
        }
        catch (final IOException ex)
        {
            return command[0] + " did not start: " + ex.getMessage();
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            return "interrupted";
        }
    }
}
