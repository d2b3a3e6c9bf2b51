package dev.hatchery.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import dev.hatchery.config.HugePages;
import dev.hatchery.config.MemoryMode;
import dev.hatchery.config.VmSpec;
import dev.hatchery.kvm.GuestMemory;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The cache on real memfds and mappings (no KVM needed): built once per key, rebuilt when a file changes. */
class KernelCacheTest
{
    @TempDir
    Path dir;

    private final KernelCache cache = new KernelCache();

    @AfterEach
    void close()
    {
        cache.close();
    }

    private VmSpec spec(final Path kernel, final String cmdline)
    {
        return VmSpec.builder().kernel(kernel).cmdline(cmdline).memMib(32).conclude();
    }

    private Path kernelFile(final String name, final ElfImageBuilder builder) throws IOException
    {
        return Files.write(dir.resolve(name), builder.build());
    }

    @Test
    void shouldBuildOnceAndHitAfterwardsForTheSameKey() throws IOException
    {
        final Path kernel = kernelFile("vmlinux", ElfImageBuilder.kernel());

        final PreparedKernel first = cache.prepare(spec(kernel, "console=ttyS0"));
        final PreparedKernel second = cache.prepare(spec(kernel, "console=ttyS0"));

        assertSame(first, second);
        assertEquals(1, cache.stats().builds());
        assertEquals(1, cache.stats().hits());
        assertEquals(1, cache.stats().kernels());
        assertEquals(first.template().size() + first.image().heapBytes(), cache.stats().bytesHeld());
    }

    @Test
    void shouldKeySeparatelyWhenTheCommandLineOrMemoryDiffer() throws IOException
    {
        final Path kernel = kernelFile("vmlinux", ElfImageBuilder.kernel());

        final PreparedKernel a = cache.prepare(spec(kernel, "a"));
        final PreparedKernel b = cache.prepare(spec(kernel, "b"));
        final PreparedKernel c = cache.prepare(spec(kernel, "a").toBuilder().memMib(64).conclude());

        assertNotSame(a, b);
        assertNotSame(a, c);
        assertEquals(3, cache.stats().builds());
    }

    @Test
    void shouldBuildOnceWhenManyThreadsAskForANewKernelAtOnce() throws Exception
    {
        final Path kernel = kernelFile("vmlinux", ElfImageBuilder.kernel());
        final ExecutorService pool = Executors.newFixedThreadPool(8);
        final CountDownLatch start = new CountDownLatch(1);
        try
        {
            final List<Future<PreparedKernel>> results = new ArrayList<>();
            for (int i = 0; i < 8; i++)
            {
                results.add(pool.submit(() ->
                {
                    start.await();
                    return cache.prepare(spec(kernel, "x"));
                }));
            }
            start.countDown();
            final Set<PreparedKernel> distinct = new HashSet<>();
            for (final Future<PreparedKernel> result : results)
            {
                distinct.add(result.get());
            }

            assertEquals(1, distinct.size());
            assertEquals(1, cache.stats().builds());
            assertEquals(7, cache.stats().hits());
        }
        finally
        {
            pool.shutdownNow();
        }
    }

    @Test
    void shouldRebuildWhenTheFileChangesWithoutDisturbingMemoryAlreadyMappedFromTheOldTemplate() throws IOException
    {
        final Path kernel = kernelFile("vmlinux", ElfImageBuilder.kernel());
        final PreparedKernel old = cache.prepare(spec(kernel, "x"));
        try (GuestMemory running = old.allocate(HugePages.OFF))
        {
            old.load(running, MemoryMode.TEMPLATE);
            final byte before = running.view(ElfImageBuilder.ENTRY, 1).getByte(0);

            Files.write(kernel, ElfImageBuilder.kernel().load(0x1800000, 0x1000, 0x1000).build());
            Files.setLastModifiedTime(kernel, FileTime.fromMillis(System.currentTimeMillis() + 10_000));
            final PreparedKernel fresh = cache.prepare(spec(kernel, "x"));

            assertNotSame(old, fresh);
            assertEquals(2, cache.stats().builds());
            assertEquals(1, cache.stats().kernels());
            assertTrue(fresh.image().kernel().endAddress() > old.image().kernel().endAddress());
            assertEquals(before, running.view(ElfImageBuilder.ENTRY, 1).getByte(0));
            assertEquals(ElfImageBuilder.contentByte(0, 0), before);
        }
    }

    @Test
    void shouldGiveEveryVmItsOwnCopyOnWriteViewOfTheTemplate() throws IOException
    {
        final PreparedKernel kernel = cache.prepare(spec(kernelFile("vmlinux", ElfImageBuilder.kernel()), "x"));
        try (GuestMemory one = kernel.allocate(HugePages.OFF); GuestMemory two = kernel.allocate(HugePages.OFF))
        {
            kernel.load(one, MemoryMode.TEMPLATE);
            kernel.load(two, MemoryMode.TEMPLATE);

            one.view(ElfImageBuilder.ENTRY, 1).putByte(0, (byte)0x5a);

            assertEquals((byte)0x5a, one.view(ElfImageBuilder.ENTRY, 1).getByte(0));
            assertEquals(ElfImageBuilder.contentByte(0, 0), two.view(ElfImageBuilder.ENTRY, 1).getByte(0));
            assertEquals(dev.hatchery.kvm.MemoryTemplate.SEALS, kernel.template().seals());
        }
    }

    @Test
    void shouldLaySameBytesOutEitherWay() throws IOException
    {
        final byte[] initrd = new byte[5000];
        java.util.Arrays.fill(initrd, (byte)7);
        final Path initrdFile = Files.write(dir.resolve("initrd"), initrd);
        final PreparedKernel kernel = cache.prepare(spec(kernelFile("vmlinux", ElfImageBuilder.kernel()), "console=ttyS0 x")
            .toBuilder().initrd(initrdFile).conclude());
        try (GuestMemory template = kernel.allocate(HugePages.OFF); GuestMemory copy = kernel.allocate(HugePages.OFF))
        {
            kernel.load(template, MemoryMode.TEMPLATE);
            kernel.load(copy, MemoryMode.COPY);

            final int length = (int)kernel.template().size();
            final byte[] a = new byte[length];
            final byte[] b = new byte[length];
            template.view(0, length).getBytes(0, a);
            copy.view(0, length).getBytes(0, b);
            assertTrue(java.util.Arrays.equals(a, b), "template and copy differ");
        }
    }

    @Test
    void shouldReportAMissingKernelByPathWithoutCachingTheFailure()
    {
        final VmSpec missing = spec(dir.resolve("nope"), "x");

        final KernelImageException ex = assertThrows(KernelImageException.class, () -> cache.prepare(missing));

        assertEquals("cannot read kernel image: path=" + dir.resolve("nope") + " reason=no such file; pass the path of an uncompressed vmlinux",
            ex.getMessage());
        assertEquals(0, cache.stats().kernels());
    }

    @Test
    void shouldDropTheLeastRecentlyAskedForTemplateBeyondItsTemplateBound() throws IOException
    {
        final Path kernel = kernelFile("vmlinux", ElfImageBuilder.kernel());
        try (KernelCache bounded = new KernelCache(new KernelCache.Bounds(2, Long.MAX_VALUE)))
        {
            final PreparedKernel a = bounded.prepare(spec(kernel, "a"));
            bounded.prepare(spec(kernel, "b"));
            assertSame(a, bounded.prepare(spec(kernel, "a")), "a hit makes a the most recent");

            bounded.prepare(spec(kernel, "c"));

            assertEquals(2, bounded.stats().kernels());
            assertEquals(1, bounded.stats().evictions());
            assertSame(a, bounded.prepare(spec(kernel, "a")), "a was kept");
            assertEquals(3, bounded.stats().builds());
            bounded.prepare(spec(kernel, "b"));
            assertEquals(4, bounded.stats().builds(), "b was dropped and is built again");
        }
    }

    @Test
    void shouldDropTemplatesBeyondItsByteBound() throws IOException
    {
        final Path kernel = kernelFile("vmlinux", ElfImageBuilder.kernel());
        final long one = cache.prepare(spec(kernel, "probe")).bytesHeld();
        try (KernelCache bounded = new KernelCache(new KernelCache.Bounds(100, one + one / 2)))
        {
            bounded.prepare(spec(kernel, "a"));
            bounded.prepare(spec(kernel, "b"));

            assertEquals(1, bounded.stats().kernels());
            assertEquals(one, bounded.stats().bytesHeld());
            assertEquals(1, bounded.stats().evictions());
        }
    }

    @Test
    void shouldNeverDropATemplateThatARequestHoldsAndDropItOnceReleasedWhenOverTheBound() throws IOException
    {
        final Path kernel = kernelFile("vmlinux", ElfImageBuilder.kernel());
        try (KernelCache bounded = new KernelCache(new KernelCache.Bounds(1, Long.MAX_VALUE)))
        {
            final PreparedKernel held = bounded.acquire(spec(kernel, "held"));
            bounded.prepare(spec(kernel, "b"));
            bounded.prepare(spec(kernel, "c"));

            assertEquals(2, bounded.stats().kernels(), "the held one and the newest: over the bound while the held one is in use");
            assertEquals(1, bounded.stats().held());
            assertSame(held, bounded.acquire(spec(kernel, "held")), "still cached, held twice now");

            bounded.release(held);

            assertEquals(1, bounded.stats().kernels(), "a release fits the bound again: the newest, not held, is dropped");
            assertSame(held, bounded.prepare(spec(kernel, "held")));
            assertEquals(2, bounded.stats().evictions(), "b when c was built, c on the release");
            bounded.release(held);
            assertEquals(0, bounded.stats().held());
            bounded.prepare(spec(kernel, "d"));
            assertEquals(1, bounded.stats().kernels(), "no longer held: dropped for the next one");
            assertEquals(3, bounded.stats().evictions());
            final IllegalStateException ex = assertThrows(IllegalStateException.class, () -> bounded.release(held));
            assertTrue(ex.getMessage().startsWith("release of a kernel template that is not held"), ex.getMessage());
        }
    }

    @Test
    void shouldRefuseBoundsThatCannotWork()
    {
        assertEquals("invalid hatchery.kernel-cache.max-templates=0: must be at least 1",
            assertThrows(IllegalArgumentException.class, () -> new KernelCache.Bounds(0, 1)).getMessage());
        assertEquals("invalid hatchery.kernel-cache.max-bytes=0: must be positive (e.g. 1 GiB)",
            assertThrows(IllegalArgumentException.class, () -> new KernelCache.Bounds(1, 0)).getMessage());
    }
}
