package dev.hatchery.vm;

import java.util.concurrent.atomic.AtomicLong;

import dev.hatchery.kvm.GuestMemory;
import dev.hatchery.kvm.PageMap;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How much memory guests made their own: just before an ended VM's RAM is unmapped (on a teardown thread, off the
 * spawn path), the pages of it that are present and private (written: copy-on-write copies of template pages,
 * touched fresh RAM) are counted from /proc/self/pagemap. One VM in {@link #SAMPLE_EVERY} is measured, which keeps
 * the cost (a read of 8 bytes per guest page) small beside a teardown.
 */
final class GuestMemoryMeter implements AutoCloseable
{
    static final int SAMPLE_EVERY = 4;
    private static final long PAGE_SIZE = 4096;
    private static final Logger LOG = LoggerFactory.getLogger(GuestMemoryMeter.class);

    private final ThreadLocal<PageMap> pageMaps = new ThreadLocal<>();
    private final java.util.Set<PageMap> opened = java.util.concurrent.ConcurrentHashMap.newKeySet();
    private final AtomicLong released = new AtomicLong();
    private final AtomicLong measured = new AtomicLong();
    private final AtomicLong privateBytes = new AtomicLong();
    private volatile boolean failed;

    /** Counts {@code memory}'s private pages if this VM is one of the sample; never throws. */
    void measure(final GuestMemory memory)
    {
        if (released.getAndIncrement() % SAMPLE_EVERY != 0 || failed)
        {
            return;
        }
        try
        {
            PageMap pageMap = pageMaps.get();
            if (pageMap == null)
            {
                pageMap = PageMap.open();
                pageMaps.set(pageMap);
                opened.add(pageMap);
            }
            privateBytes.addAndGet(pageMap.privatePages(memory) * PAGE_SIZE);
            measured.incrementAndGet();
        }
        catch (final RuntimeException ex)
        {
            failed = true;
            LOG.warn("guest_memory.meter_failed error=\"{}\"; guest memory per VM is not reported", ex.getMessage());
        }
    }

    /** VMs measured so far. */
    long measured()
    {
        return measured.get();
    }

    /** Private bytes summed over the VMs measured. */
    long privateBytes()
    {
        return privateBytes.get();
    }

    @Override
    public void close()
    {
        opened.forEach(PageMap::close);
        opened.clear();
    }
}
