package dev.hatchery.vm;

import java.util.ArrayList;
import java.util.List;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A host's shared network event loops ({@link NetSettings.Loop#SHARED}): started together on first use, each new VM
 * on the live loop serving the fewest, and a loop whose thread dies replaced in place by a fresh one (its VMs were
 * told they lost their network; new VMs never go to it). Owns the loops: {@link #close()} stops them.
 */
final class SharedNetLoops implements AutoCloseable
{
    private static final Logger LOG = LoggerFactory.getLogger(SharedNetLoops.class);

    private final int count;
    private List<NetEventLoop> loops = List.of();
    private int started;
    private long died;
    private long lostOnDeadLoops;
    private boolean closed;

    SharedNetLoops(final int count)
    {
        if (count < 1)
        {
            throw new IllegalArgumentException("shared network loops: count=" + count + ": must be at least 1");
        }
        this.count = count;
    }

    /** The live loop serving the fewest VMs; starts the loops on first use. */
    synchronized NetEventLoop leastBusy()
    {
        if (closed)
        {
            throw new IllegalStateException("shared network loops are closed");
        }
        if (loops.isEmpty())
        {
            final List<NetEventLoop> fresh = new ArrayList<>();
            try
            {
                for (int i = 0; i < count; i++)
                {
                    fresh.add(startLoop());
                }
            }
            catch (final RuntimeException ex)
            {
                fresh.forEach(NetEventLoop::close);
                throw ex;
            }
            loops = List.copyOf(fresh);
        }
        NetEventLoop least = null;
        for (final NetEventLoop loop : loops)
        {
            // A loop that died and is not replaced yet takes nobody.
            if (loop.isAlive() && (least == null || loop.registrations() < least.registrations()))
            {
                least = loop;
            }
        }
        if (least == null)
        {
            throw new IllegalStateException("no live network event loop: every shared loop died and none could be replaced;"
                + " see the vm.net_loop_died and vm.net_loop_replace_failed log lines");
        }
        return least;
    }

    private NetEventLoop startLoop()
    {
        return NetEventLoop.start("net-loop-" + started++, this::replace);
    }

    /** On the dead loop's thread, after each of its VMs heard that it lost its network. */
    private synchronized void replace(final NetEventLoop dead)
    {
        died++;
        lostOnDeadLoops += dead.lost();
        final int index = loops.indexOf(dead);
        if (closed || index < 0)
        {
            return;
        }
        final List<NetEventLoop> next = new ArrayList<>(loops);
        next.set(index, startLoop());
        loops = List.copyOf(next);
        LOG.warn("vm.net_loop_replaced dead={} replacement={} lost_vms={}", dead.name(), next.get(index).name(), dead.lost());
    }

    /** The loops now (tests). */
    synchronized List<NetEventLoop> loops()
    {
        return loops;
    }

    synchronized NetLoopStats stats()
    {
        long lost = lostOnDeadLoops;
        int alive = 0;
        for (final NetEventLoop loop : loops)
        {
            if (loop.isAlive())
            {
                alive++;
                lost += loop.lost();
            }
        }
        return new NetLoopStats(alive, died, lost);
    }

    /**
     * Stops every loop; a VM still registered loses its loop here (the host outlives its VMs). Joins the loop threads
     * outside this object's monitor: a dying loop's thread needs it to report its death.
     */
    @Override
    public void close()
    {
        final List<NetEventLoop> stopping;
        synchronized (this)
        {
            closed = true;
            stopping = loops;
            loops = List.of();
        }
        stopping.forEach(NetEventLoop::close);
    }
}
