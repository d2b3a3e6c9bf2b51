package dev.hatchery.orchestrator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import dev.hatchery.kvm.NetDevice;
import dev.hatchery.vm.TapPool;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A networked batch killed with SIGKILL (no shutdown hook runs) leaves its taps behind; the next start with the same
 * prefix finds the dead run's prefix lock free, deletes every leftover and makes its own. Real taps, real KVM: the batch
 * is the CLI in a second JVM, booting Linux guests with a network.
 */
class TapReclaimIT
{
    private static final String PREFIX = "hrc";
    private static final int SIZE = 8;
    private static final String SUBNET = "172.28.0.0/24";
    private static final String TABLE = "hatchery_" + PREFIX;
    private static final long TAPS_WAIT_NANOS = TimeUnit.MINUTES.toNanos(5);

    @TempDir
    Path dir;

    @Test
    void shouldReclaimEveryTapOfABatchKilledWithSigkill() throws Exception
    {
        assertEquals(List.of(), NetDevice.list(PREFIX), "no taps of this test's prefix before it");
        final Path log = dir.resolve("batch.log");
        // Agrona needs jdk.internal.misc in every JVM that runs Hatchery (the launcher passes the same).
        final Process batch = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            "--add-exports", "java.base/jdk.internal.misc=ALL-UNNAMED",
            "-Dhatchery.taps.prefix=" + PREFIX, "-Dhatchery.taps.size=" + SIZE, "-Dhatchery.taps.subnet=" + SUBNET,
            "-cp", System.getProperty("java.class.path"), HatcheryCli.class.getName(),
            "batch", "--kernel", "linux", "--network", "--count", "100", "--concurrency", "2")
            .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        final Map<String, Integer> leftovers = new LinkedHashMap<>();
        try
        {
            final long deadline = System.nanoTime() + TAPS_WAIT_NANOS;
            // The pool installs its firewall right after making its taps, before any VM leases one.
            while ((NetDevice.list(PREFIX).size() < SIZE || !firewallTableExists()) && batch.isAlive() && System.nanoTime() < deadline)
            {
                Thread.sleep(200);
            }
            assertTrue(batch.isAlive(), "the batch is still running when killed; its output:\n" + Files.readString(log));
            assertEquals(SIZE, NetDevice.list(PREFIX).size(), "the batch made its taps; its output:\n" + Files.readString(log));
        }
        finally
        {
            batch.destroyForcibly();
            assertTrue(batch.waitFor(60, TimeUnit.SECONDS), "the killed batch exited");
        }
        assertEquals(137, batch.exitValue(), "killed by SIGKILL");
        for (final String name : NetDevice.list(PREFIX))
        {
            leftovers.put(name, NetDevice.index(name));
        }
        assertEquals(SIZE, leftovers.size(), "SIGKILL left every tap behind: " + leftovers);
        assertTrue(firewallTableExists(), "SIGKILL left the isolation firewall behind too");

        final List<String> made;
        final List<Integer> indexes = new ArrayList<>();
        try (TapPool next = TapPool.create(new TapPool.Settings(PREFIX, SIZE, SUBNET)))
        {
            made = next.names();
            for (final String name : made)
            {
                indexes.add(NetDevice.index(name));
            }
            assertEquals(made.stream().sorted().toList(), NetDevice.list(PREFIX), "exactly the new pool's taps exist");
            assertEquals(1, countOf(nft("list", "tables"), "table inet " + TABLE), "the leftover table was replaced, not doubled");
        }
        assertEquals(List.copyOf(leftovers.keySet()).stream().sorted().toList(), made.stream().sorted().toList());
        for (int i = 0; i < made.size(); i++)
        {
            assertNotEquals(leftovers.get(made.get(i)), indexes.get(i), made.get(i) + " was deleted and made anew (new interface index)");
        }
        assertEquals(List.of(), NetDevice.list(PREFIX), "the new pool deleted its taps when it closed");
        assertFalse(firewallTableExists(), "and removed its firewall: " + nft("list", "tables"));
    }

    private static boolean firewallTableExists()
    {
        final String tables = nft("list", "tables");
        return tables.contains("table inet " + TABLE + "\n") && tables.contains("table arp " + TABLE + "\n");
    }

    private static int countOf(final String text, final String line)
    {
        return (int)text.lines().filter(line::equals).count();
    }

    /** nft's output; the lab has the host's nft (package nftables, which the launcher installs). */
    private static String nft(final String... args)
    {
        try
        {
            final List<String> command = new ArrayList<>(List.of("nft"));
            command.addAll(List.of(args));
            final Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
            final String output = new String(process.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
            assertTrue(process.waitFor(30, TimeUnit.SECONDS), "nft finished");
            assertEquals(0, process.exitValue(), "nft " + String.join(" ", args) + ": " + output);
            return output;
        }
        catch (final java.io.IOException ex)
        {
            throw new AssertionError("nft did not start (install the package nftables): " + ex.getMessage(), ex);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            throw new AssertionError(ex);
        }
    }
}
