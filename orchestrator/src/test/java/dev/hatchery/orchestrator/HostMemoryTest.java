package dev.hatchery.orchestrator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import com.typesafe.config.ConfigFactory;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The host memory probe over fake /proc and /sys/fs/cgroup trees (v1 and v2), and the budget sized from it. */
class HostMemoryTest
{
    private static final long MIB = 1024 * 1024;

    @TempDir
    Path dir;

    private Path meminfo(final long availableKib) throws IOException
    {
        return Files.writeString(dir.resolve("meminfo"), "MemTotal:       24576000 kB\nMemFree:         1000 kB\nMemAvailable:   " + availableKib
            + " kB\nBuffers:            0 kB\n");
    }

    private Path file(final String path, final String text) throws IOException
    {
        final Path file = dir.resolve(path);
        Files.createDirectories(file.getParent());
        return Files.writeString(file, text);
    }

    @Test
    void shouldTakeTheCgroupV2RoomWhenItIsSmallerThanMemAvailable() throws IOException
    {
        file("cg/svc/memory.max", "4294967296\n");
        file("cg/svc/memory.current", "1073741824\n");

        final HostMemory memory = HostMemory.probe(meminfo(8 * 1024 * 1024), file("self-cgroup", "0::/svc\n"), dir.resolve("cg"));

        assertEquals(8L << 30, memory.memAvailableBytes());
        assertEquals(4L << 30, memory.cgroupLimitBytes());
        assertEquals(3L << 30, memory.usableBytes());
        assertEquals("MemAvailable 8192 MiB, cgroup limit 4096 MiB using 1024 MiB", memory.describe());
    }

    @Test
    void shouldReadCgroupV1AndTakeItsHugeLimitAsNone() throws IOException
    {
        file("cg/memory/job/memory.limit_in_bytes", "9223372036854771712\n");
        file("cg/memory/job/memory.usage_in_bytes", "1369423872\n");

        final HostMemory memory = HostMemory.probe(meminfo(2048 * 1024), file("self-cgroup", "5:devices:/\n4:memory:/job\n0::/\n"),
            dir.resolve("cg"));

        assertEquals(HostMemory.NO_LIMIT, memory.cgroupLimitBytes());
        assertEquals(2048 * MIB, memory.usableBytes());
        assertEquals("MemAvailable 2048 MiB, cgroup without limit", memory.describe());
    }

    @Test
    void shouldTakeV2MaxAsNoLimitAndAMissingCgroupAsNone() throws IOException
    {
        file("cg/a/memory.max", "max\n");

        assertEquals(HostMemory.NO_LIMIT, HostMemory.probe(meminfo(1024), file("self-cgroup", "0::/a\n"), dir.resolve("cg")).cgroupLimitBytes());
        assertEquals(HostMemory.NO_LIMIT, HostMemory.probe(meminfo(1024), dir.resolve("no-such-file"), dir.resolve("cg")).cgroupLimitBytes());
    }

    @Test
    void shouldSizeTheBudgetFromTheHostLessTheMarginOrTakeAFixedSize()
    {
        final HostMemory host = new HostMemory(10L << 30, HostMemory.NO_LIMIT, 0);

        final MemoryBudget auto = MemoryBudget.fromConfig(ConfigFactory.load(), host);
        final MemoryBudget fixed = MemoryBudget.fromConfig(ConfigFactory.parseString("hatchery.limits.memory-budget = 512 MiB")
            .withFallback(ConfigFactory.load()), host);

        assertEquals((long)((10L << 30) * 0.9), auto.bytes());
        assertEquals(8 * MIB, auto.perVmOverheadBytes());
        assertEquals("MemAvailable 10240 MiB, cgroup without limit at start, less 10% margin", auto.source());
        assertEquals(512 * MIB, fixed.bytes());
        assertEquals("hatchery.limits.memory-budget=512 MiB", fixed.source());
    }

    @Test
    void shouldRefuseAnEmptyBudgetAndABadMarginSayingWhatToChange()
    {
        final IllegalArgumentException empty = assertThrows(IllegalArgumentException.class,
            () -> MemoryBudget.fromConfig(ConfigFactory.load(), new HostMemory(0, HostMemory.NO_LIMIT, 0)));
        final IllegalArgumentException margin = assertThrows(IllegalArgumentException.class, () -> MemoryBudget.fromConfig(
            ConfigFactory.parseString("hatchery.limits.memory-margin = 1.5").withFallback(ConfigFactory.load()), new HostMemory(1L << 30, 0, 0)));

        assertTrue(empty.getMessage().startsWith("host memory budget is empty: MemAvailable 0 MiB"), empty.getMessage());
        assertTrue(empty.getMessage().endsWith("or set hatchery.limits.memory-budget to a size"), empty.getMessage());
        assertEquals("invalid hatchery.limits.memory-margin=1.5: a fraction from 0 to below 1 (e.g. 0.1)", margin.getMessage());
    }
}
