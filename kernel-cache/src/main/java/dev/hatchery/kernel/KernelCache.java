package dev.hatchery.kernel;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import dev.hatchery.config.VmSpec;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Prepared kernels shared by every VM of the process, keyed by content (SHA-256 of kernel and initrd)
 * together with everything that shapes the guest's initial memory. The first request for a key builds
 * it; concurrent first requests wait for that one build. A file that changes on disk gets a new key and
 * a new build; the superseded template is closed, which does not disturb VMs that already mapped it.
 * <p>
 * Bounded in templates and bytes ({@link Bounds}): after a build takes it past a bound, the least recently asked-for
 * templates that no request holds are closed and dropped until it fits again (a request that would build them again
 * pays one build). Templates that requests hold ({@link #acquire}, until {@link #release}) are never dropped: while all
 * of them are held the cache may stay over its bound, and says so in the log.
 */
public final class KernelCache implements AutoCloseable
{
    private static final Logger LOG = LoggerFactory.getLogger(KernelCache.class);
    private static final String KERNEL = "kernel image";
    private static final String INITRD = "initrd";

    /** What makes two guests' initial memory identical. */
    record Key(String kernelSha256, String initrdSha256, String cmdline, long ramSize, long bootDeviceAddress)
    {
    }

    /** Where a key came from: the same files and settings may map to a new key when a file changes. */
    private record Source(Path kernel, Path initrd, String cmdline, long ramSize, long bootDeviceAddress)
    {
    }

    /** A file's content hash, valid while its size, modification time and identity stay the same. */
    private record Fingerprint(long size, long modifiedNanos, Object fileKey, String sha256, byte[] bytes)
    {
        Fingerprint withoutBytes()
        {
            return new Fingerprint(size, modifiedNanos, fileKey, sha256, null);
        }
    }

    /** Counters and sizes for monitoring. */
    public record Stats(long hits, long builds, long bytesHeld, int kernels, long evictions, int held, Bounds bounds)
    {
    }

    /** How many templates, and how many bytes of them (memfd plus prefetched image), the cache keeps at most. */
    public record Bounds(int maxTemplates, long maxBytes)
    {
        /** Unbounded in practice: for tools and tests that make a handful of kernels. */
        public static final Bounds GENEROUS = new Bounds(1024, Long.MAX_VALUE);

        public Bounds
        {
            if (maxTemplates < 1)
            {
                throw new IllegalArgumentException("invalid hatchery.kernel-cache.max-templates=" + maxTemplates + ": must be at least 1");
            }
            if (maxBytes < 1)
            {
                throw new IllegalArgumentException("invalid hatchery.kernel-cache.max-bytes=" + maxBytes + ": must be positive (e.g. 1 GiB)");
            }
        }
    }

    private final ConcurrentHashMap<Key, CompletableFuture<PreparedKernel>> prepared = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<Source, Key> latest = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<Path, Fingerprint> fingerprints = new ConcurrentHashMap<>();
    private final AtomicLong hits = new AtomicLong();
    private final AtomicLong builds = new AtomicLong();
    private final AtomicLong evictions = new AtomicLong();
    private final AtomicLong clock = new AtomicLong();
    /** Guards lastAsked and holds (and eviction): bookkeeping beside the concurrent build path. */
    private final Object lock = new Object();
    private final Map<Key, Long> lastAsked = new HashMap<>();
    private final Map<PreparedKernel, Integer> holds = new IdentityHashMap<>();
    private final Bounds bounds;

    public KernelCache()
    {
        this(Bounds.GENEROUS);
    }

    public KernelCache(final Bounds bounds)
    {
        this.bounds = Objects.requireNonNull(bounds, "bounds");
    }

    /**
     * {@link #prepare} and hold the template until {@link #release}: a request's VMs use it from first to last, and
     * the cache does not drop it meanwhile. Every acquire needs one release.
     */
    public PreparedKernel acquire(final VmSpec spec)
    {
        return prepare(spec, true);
    }

    /** Ends one {@link #acquire}; the template may be dropped from now on if the cache is over a bound. */
    public void release(final PreparedKernel kernel)
    {
        synchronized (lock)
        {
            final Integer count = holds.get(kernel);
            if (count == null)
            {
                throw new IllegalStateException("release of a kernel template that is not held: " + kernel);
            }
            if (count == 1)
            {
                holds.remove(kernel);
            }
            else
            {
                holds.put(kernel, count - 1);
            }
            fitBounds(null);
        }
    }

    /**
     * The prepared kernel for this spec, built on first use; throws {@link KernelImageException} for bad input. Not held:
     * a later build may drop it when the cache is over a bound (its mappings stay valid); requests use {@link #acquire}.
     */
    public PreparedKernel prepare(final VmSpec spec)
    {
        return prepare(spec, false);
    }

    private PreparedKernel prepare(final VmSpec spec, final boolean hold)
    {
        final Fingerprint kernel = fingerprint(spec.kernel(), KERNEL);
        final Fingerprint initrd = spec.initrd() == null ? null : fingerprint(spec.initrd(), INITRD);
        final Key key = new Key(kernel.sha256(), initrd == null ? "" : initrd.sha256(), spec.cmdline(), spec.memBytes(), spec.bootDeviceAddress());
        final Source source = new Source(spec.kernel(), spec.initrd(), spec.cmdline(), spec.memBytes(), spec.bootDeviceAddress());

        synchronized (lock)
        {
            lastAsked.put(key, clock.incrementAndGet());
        }
        final CompletableFuture<PreparedKernel> mine = new CompletableFuture<>();
        final CompletableFuture<PreparedKernel> existing = prepared.putIfAbsent(key, mine);
        if (existing != null)
        {
            hits.incrementAndGet();
            final PreparedKernel found = join(existing);
            synchronized (lock)
            {
                // Held under the lock that eviction takes: a template found here is not dropped before it is held.
                if (prepared.get(key) == existing)
                {
                    if (hold)
                    {
                        holds.merge(found, 1, Integer::sum);
                    }
                    return found;
                }
            }
            // Dropped (over a bound, or its file changed) between the lookup and now: ask again.
            return prepare(spec, hold);
        }
        try
        {
            final long start = System.nanoTime();
            final BootImage image = BootImage.create(ElfKernel.parse(spec.kernel().toString(), takeBytes(kernel, spec.kernel(), KERNEL)),
                initrd == null ? null : takeBytes(initrd, spec.initrd(), INITRD), spec.cmdline(), spec.memBytes());
            final PreparedKernel kernelReady = PreparedKernel.prepare(kernel.sha256().substring(0, 12), image);
            builds.incrementAndGet();
            mine.complete(kernelReady);
            LOG.info("kernel_cache.built kernel={} sha256={} ram_mib={} template_bytes={} build_ms={}",
                spec.kernel(), kernel.sha256().substring(0, 12), spec.memMib(), kernelReady.template().size(), (System.nanoTime() - start) / 1_000_000);
        }
        catch (final RuntimeException ex)
        {
            prepared.remove(key, mine);
            mine.completeExceptionally(ex);
            throw ex;
        }
        final Key previous = latest.put(source, key);
        if (previous != null && !previous.equals(key))
        {
            evict(previous, source);
        }
        synchronized (lock)
        {
            fitBounds(key);
            if (hold)
            {
                holds.merge(mine.join(), 1, Integer::sum);
            }
        }
        return join(mine);
    }

    /** Drops least recently asked-for templates that nobody holds, other than {@code keep}, until both bounds hold. */
    private void fitBounds(final Key keep)
    {
        while (true)
        {
            int count = 0;
            long bytes = 0;
            Key oldest = null;
            long oldestAsked = Long.MAX_VALUE;
            for (final Map.Entry<Key, CompletableFuture<PreparedKernel>> entry : prepared.entrySet())
            {
                final CompletableFuture<PreparedKernel> future = entry.getValue();
                if (!future.isDone() || future.isCompletedExceptionally())
                {
                    continue;
                }
                count++;
                bytes += future.join().bytesHeld();
                final long asked = lastAsked.getOrDefault(entry.getKey(), 0L);
                if (!entry.getKey().equals(keep) && !holds.containsKey(future.join()) && asked < oldestAsked)
                {
                    oldest = entry.getKey();
                    oldestAsked = asked;
                }
            }
            if (count <= bounds.maxTemplates() && bytes <= bounds.maxBytes())
            {
                return;
            }
            if (oldest == null)
            {
                LOG.warn("kernel_cache.over_bound templates={} bytes={} max_templates={} max_bytes={} reason=\"every other template is in use\"",
                    count, bytes, bounds.maxTemplates(), bounds.maxBytes());
                return;
            }
            final CompletableFuture<PreparedKernel> dropped = prepared.remove(oldest);
            lastAsked.remove(oldest);
            latest.values().remove(oldest);
            evictions.incrementAndGet();
            final PreparedKernel kernel = dropped.join();
            kernel.close();
            LOG.info("kernel_cache.evicted sha256={} ram_mib={} bytes={} reason=\"over bound\" templates={} max_templates={} max_bytes={}",
                oldest.kernelSha256().substring(0, 12), oldest.ramSize() >> 20, kernel.bytesHeld(), count - 1, bounds.maxTemplates(), bounds.maxBytes());
        }
    }

    private void evict(final Key key, final Source source)
    {
        final CompletableFuture<PreparedKernel> old;
        synchronized (lock)
        {
            // A changed file's old template: VMs that hold it keep their mappings (closing a memfd does not unmap it).
            old = prepared.remove(key);
            lastAsked.remove(key);
        }
        if (old != null && old.isDone() && !old.isCompletedExceptionally())
        {
            old.join().close();
            LOG.info("kernel_cache.evicted kernel={} reason=\"file changed on disk\" old_sha256={}", source.kernel(), key.kernelSha256().substring(0, 12));
        }
    }

    public Stats stats()
    {
        long bytes = 0;
        int count = 0;
        for (final CompletableFuture<PreparedKernel> future : prepared.values())
        {
            if (future.isDone() && !future.isCompletedExceptionally())
            {
                bytes += future.join().bytesHeld();
                count++;
            }
        }
        final int held;
        synchronized (lock)
        {
            held = holds.size();
        }
        return new Stats(hits.get(), builds.get(), bytes, count, evictions.get(), held, bounds);
    }

    /**
     * Hashes a file unless its size, modification time and identity are unchanged since the last hash.
     * The hashed bytes stay with the fingerprint only until the build that needs them, so what is parsed
     * is exactly what was hashed.
     */
    private Fingerprint fingerprint(final Path path, final String what)
    {
        try
        {
            final BasicFileAttributes attributes = Files.readAttributes(path, BasicFileAttributes.class);
            final long modified = attributes.lastModifiedTime().to(TimeUnit.NANOSECONDS);
            final Fingerprint known = fingerprints.get(path);
            if (known != null && known.size() == attributes.size() && known.modifiedNanos() == modified
                && Objects.equals(known.fileKey(), attributes.fileKey()))
            {
                return known;
            }
            if (what.equals(KERNEL))
            {
                ElfParser.checkImageSize(path.toString(), attributes.size());
            }
            else if (attributes.size() > BootImage.MAX_INITRD_BYTES)
            {
                throw new KernelImageException("initrd is too large: path=" + path + " size=" + attributes.size()
                    + " limit=" + BootImage.MAX_INITRD_BYTES + "; use a smaller initramfs");
            }
            final byte[] bytes = Files.readAllBytes(path);
            final Fingerprint fresh = new Fingerprint(attributes.size(), modified, attributes.fileKey(), sha256(bytes), bytes);
            fingerprints.put(path, fresh);
            return fresh;
        }
        catch (final IOException ex)
        {
            throw new KernelImageException("cannot read " + what + ": path=" + path + " reason=" + ElfKernel.reason(ex)
                + (what.equals(KERNEL) ? "; pass the path of an uncompressed vmlinux" : "; check the path and its permissions"), ex);
        }
    }

    /** The hashed bytes, handed over once; a later rebuild of the same unchanged file reads it again. */
    private byte[] takeBytes(final Fingerprint fingerprint, final Path path, final String what)
    {
        if (fingerprint.bytes() != null && fingerprints.replace(path, fingerprint, fingerprint.withoutBytes()))
        {
            return fingerprint.bytes();
        }
        fingerprints.remove(path);
        return fingerprint(path, what).bytes();
    }

    private static String sha256(final byte[] bytes)
    {
        try
        {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        }
        catch (final NoSuchAlgorithmException ex)
        {
            throw new IllegalStateException("SHA-256 is part of every Java runtime", ex);
        }
    }

    private static PreparedKernel join(final CompletableFuture<PreparedKernel> future)
    {
        try
        {
            return future.join();
        }
        catch (final CompletionException ex)
        {
            if (ex.getCause() instanceof RuntimeException cause)
            {
                throw cause;
            }
            throw ex;
        }
    }

    /** Closes every template; VMs that mapped one keep their mappings. */
    @Override
    public void close()
    {
        for (final Map.Entry<Key, CompletableFuture<PreparedKernel>> entry : prepared.entrySet())
        {
            final CompletableFuture<PreparedKernel> future = entry.getValue();
            if (future.isDone() && !future.isCompletedExceptionally())
            {
                future.join().close();
            }
        }
        prepared.clear();
    }
}
