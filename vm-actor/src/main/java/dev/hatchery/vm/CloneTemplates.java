package dev.hatchery.vm;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.BiFunction;

import dev.hatchery.kernel.PreparedKernel;

import dev.hatchery.config.VmSpec;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The host's captured clone templates, one per clone spec, made on first use and shared by every request of that
 * spec: the first caller makes it (booting the template VM, which takes a whole boot), later callers wait for that
 * one. Each caller holds what it got until it closes its {@link CloneTemplate}. Bounded: past {@code maxTemplates},
 * the least recently used templates nobody holds are dropped (their memory files closed; clones alive keep their
 * mappings). A template that could not be made is not kept, so the next request tries again.
 */
final class CloneTemplates implements AutoCloseable
{
    private static final Logger LOG = LoggerFactory.getLogger(CloneTemplates.class);

    private final int maxTemplates;
    private final BiFunction<VmSpec, PreparedKernel, CloneImage> maker;
    /** Access order: the eldest entry is the least recently acquired. */
    private final Map<VmSpec, Entry> entries = new LinkedHashMap<>(16, 0.75f, true);
    private boolean closed;

    private static final class Entry
    {
        final CompletableFuture<CloneImage> image = new CompletableFuture<>();
        int holds;
    }

    CloneTemplates(final int maxTemplates, final BiFunction<VmSpec, PreparedKernel, CloneImage> maker)
    {
        if (maxTemplates < 1)
        {
            throw new IllegalArgumentException("max clone templates must be at least 1: got " + maxTemplates);
        }
        this.maxTemplates = maxTemplates;
        this.maker = maker;
    }

    /**
     * The template for {@code cloneSpec}, made now from {@code kernel} (prepared for the template's spec) if there is
     * none; blocks while it is made. Fails with why it could not be.
     */
    CloneTemplate acquire(final VmSpec cloneSpec, final PreparedKernel kernel)
    {
        final Entry entry;
        final boolean mine;
        synchronized (this)
        {
            if (closed)
            {
                throw new IllegalStateException("clone templates are closed");
            }
            final Entry existing = entries.get(cloneSpec);
            mine = existing == null;
            entry = mine ? new Entry() : existing;
            if (mine)
            {
                entries.put(cloneSpec, entry);
            }
            entry.holds++;
        }
        if (mine)
        {
            try
            {
                entry.image.complete(maker.apply(cloneSpec, kernel));
            }
            catch (final RuntimeException | Error ex)
            {
                entry.image.completeExceptionally(ex);
            }
        }
        final CloneImage image;
        try
        {
            image = entry.image.join();
        }
        catch (final CompletionException ex)
        {
            synchronized (this)
            {
                entry.holds--;
                entries.remove(cloneSpec, entry);
            }
            throw ex.getCause() instanceof RuntimeException runtime ? runtime : ex;
        }
        return new CloneTemplate(image, () -> release(cloneSpec, entry));
    }

    private void release(final VmSpec cloneSpec, final Entry entry)
    {
        final List<CloneImage> dropped = new ArrayList<>();
        synchronized (this)
        {
            entry.holds--;
            if (closed && entry.holds == 0)
            {
                entries.remove(cloneSpec, entry);
                dropped.add(entry.image.join());
            }
            var iterator = entries.entrySet().iterator();
            int over = entries.size() - maxTemplates;
            while (over > 0 && iterator.hasNext())
            {
                final Entry eldest = iterator.next().getValue();
                if (eldest.holds == 0 && eldest.image.isDone() && !eldest.image.isCompletedExceptionally())
                {
                    iterator.remove();
                    dropped.add(eldest.image.join());
                    over--;
                }
            }
        }
        for (final CloneImage image : dropped)
        {
            LOG.info("clone_template.dropped captured_bytes={} spec=\"{}\"", image.capturedBytes(), image.spec());
            image.close();
        }
    }

    /** Templates made and kept, and the bytes their memory files hold. */
    synchronized long[] countAndBytes()
    {
        long bytes = 0;
        int count = 0;
        for (final Entry entry : entries.values())
        {
            if (entry.image.isDone() && !entry.image.isCompletedExceptionally())
            {
                count++;
                bytes += entry.image.join().capturedBytes();
            }
        }
        return new long[] {count, bytes};
    }

    /** Drops every template nobody holds; held ones go when their last hold is given back. */
    @Override
    public void close()
    {
        final List<CloneImage> dropped = new ArrayList<>();
        synchronized (this)
        {
            closed = true;
            var iterator = entries.values().iterator();
            while (iterator.hasNext())
            {
                final Entry entry = iterator.next();
                if (entry.holds == 0 && entry.image.isDone())
                {
                    iterator.remove();
                    if (!entry.image.isCompletedExceptionally())
                    {
                        dropped.add(entry.image.join());
                    }
                }
            }
        }
        dropped.forEach(CloneImage::close);
    }
}
