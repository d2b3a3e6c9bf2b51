package dev.hatchery.vm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import dev.hatchery.kvm.Epoll;
import dev.hatchery.kvm.EventFd;

import org.junit.jupiter.api.Test;

/** Real loops and eventfds (no KVM): a host's shared loops replace one that dies, and new VMs never go to it. */
class SharedNetLoopsTest
{
    @Test
    void shouldReplaceADeadLoopInPlaceAndNeverGiveItToANewVm() throws Exception
    {
        final List<String> lost = new CopyOnWriteArrayList<>();
        try (SharedNetLoops shared = new SharedNetLoops(2); EventFd fatal = EventFd.create())
        {
            final NetEventLoop doomed = shared.leastBusy();
            assertEquals(2, shared.loops().size());
            assertEquals(new NetLoopStats(2, 0, 0), shared.stats());
            doomed.register("vm-1", new int[] {fatal.fd()}, new int[] {Epoll.EPOLLIN}, new NetEventLoop.Handler()
            {
                @Override
                public boolean onReady(final int source)
                {
                    throw new OutOfMemoryError("injected");
                }

                @Override
                public void onLost(final String reason)
                {
                    lost.add(reason);
                }
            });
            final int index = shared.loops().indexOf(doomed);

            fatal.signal();
            final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (shared.loops().contains(doomed) && System.nanoTime() < deadline)
            {
                Thread.sleep(5);
            }

            assertFalse(shared.loops().contains(doomed), "the dead loop was replaced");
            assertNotSame(doomed, shared.loops().get(index));
            assertTrue(shared.loops().stream().allMatch(NetEventLoop::isAlive));
            assertEquals(List.of("net loop " + doomed.name() + " died: java.lang.OutOfMemoryError: injected"), lost);
            assertEquals(new NetLoopStats(2, 1, 1), shared.stats());
            final EventFd[] vms = new EventFd[6];
            try
            {
                for (int vm = 0; vm < vms.length; vm++)
                {
                    vms[vm] = EventFd.create();
                    final NetEventLoop chosen = shared.leastBusy();
                    assertNotSame(doomed, chosen);
                    chosen.register("vm-new-" + vm, new int[] {vms[vm].fd()}, new int[] {Epoll.EPOLLIN}, source -> false);
                }
                assertEquals(List.of(3, 3), shared.loops().stream().map(NetEventLoop::registrations).toList(),
                    "new VMs spread over the two live loops");
            }
            finally
            {
                for (final EventFd vm : vms)
                {
                    if (vm != null)
                    {
                        vm.close();
                    }
                }
            }
        }
    }

    @Test
    void shouldStartItsLoopsOnFirstUseAndStopThemOnClose()
    {
        final SharedNetLoops shared = new SharedNetLoops(3);
        assertEquals(new NetLoopStats(0, 0, 0), shared.stats());
        final NetEventLoop first = shared.leastBusy();
        assertEquals(3, shared.loops().size());
        assertTrue(first.isAlive());
        shared.close();
        assertFalse(first.isAlive());
        assertEquals(List.of(), shared.loops());
    }
}
