package dev.hatchery.vm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import dev.hatchery.kvm.Epoll;
import dev.hatchery.kvm.EventFd;

import org.junit.jupiter.api.Test;

/** Real epoll and eventfds (no KVM needed): what the shared loop promises its VMs. */
class NetEventLoopTest
{
    private static final int[] LEVEL = {Epoll.EPOLLIN, Epoll.EPOLLIN};

    @Test
    void shouldPackRegistrationIdAndSourceIntoTheToken()
    {
        final long token = NetEventLoop.token(123_456_789L, 2);
        assertEquals(123_456_789L, NetEventLoop.registrationId(token));
        assertEquals(2, NetEventLoop.source(token));
        assertEquals(NetEventLoop.MAX_SOURCES - 1, NetEventLoop.source(NetEventLoop.token(1, NetEventLoop.MAX_SOURCES - 1)));
    }

    @Test
    void shouldCallEachVmsHandlerWithTheIndexOfTheReadyFdWhenManyVmsShareTheLoop() throws Exception
    {
        final int vms = 20;
        final List<String> calls = new CopyOnWriteArrayList<>();
        final CountDownLatch done = new CountDownLatch(vms);
        final EventFd[][] fds = new EventFd[vms][2];
        try (NetEventLoop loop = NetEventLoop.start("net-test"))
        {
            for (int vm = 0; vm < vms; vm++)
            {
                final int owner = vm;
                fds[vm][0] = EventFd.create();
                fds[vm][1] = EventFd.create();
                final EventFd[] mine = fds[vm];
                loop.register("vm" + vm, new int[] {mine[0].fd(), mine[1].fd()}, LEVEL, source ->
                {
                    mine[source].drain();
                    calls.add(owner + ":" + source);
                    done.countDown();
                    return false;
                });
            }
            assertEquals(vms, loop.registrations());
            for (int vm = 0; vm < vms; vm++)
            {
                fds[vm][vm % 2].signal();
            }
            assertTrue(done.await(10, TimeUnit.SECONDS), "calls=" + calls);
            for (int vm = 0; vm < vms; vm++)
            {
                assertTrue(calls.contains(vm + ":" + vm % 2), "calls=" + calls);
            }
            assertEquals(vms, calls.size());
        }
        finally
        {
            for (final EventFd[] pair : fds)
            {
                closeAll(pair);
            }
        }
    }

    @Test
    void shouldNeverCallAHandlerAgainOnceItsRegistrationIsClosed() throws Exception
    {
        final List<Integer> calls = new CopyOnWriteArrayList<>();
        try (NetEventLoop loop = NetEventLoop.start("net-test"); EventFd fd = EventFd.create(); EventFd other = EventFd.create())
        {
            final CountDownLatch otherCalled = new CountDownLatch(1);
            final NetEventLoop.Registration registration = loop.register("gone", new int[] {fd.fd()}, new int[] {Epoll.EPOLLIN},
                calls::add);
            loop.register("stays", new int[] {other.fd()}, new int[] {Epoll.EPOLLIN}, source ->
            {
                other.drain();
                otherCalled.countDown();
                return false;
            });
            registration.close();
            registration.close();
            fd.signal();
            other.signal();
            // The loop went past the closed VM's fd and served the other one: the closed one got nothing.
            assertTrue(otherCalled.await(10, TimeUnit.SECONDS));
            assertEquals(List.of(), calls);
            assertEquals(1, loop.registrations());
        }
    }

    @Test
    void shouldUnregisterAThrowingHandlerAndKeepServingTheOthers() throws Exception
    {
        try (NetEventLoop loop = NetEventLoop.start("net-test"); EventFd bad = EventFd.create(); EventFd good = EventFd.create())
        {
            final CountDownLatch badCalled = new CountDownLatch(1);
            final CountDownLatch goodCalled = new CountDownLatch(2);
            loop.register("bad", new int[] {bad.fd()}, new int[] {Epoll.EPOLLIN}, source ->
            {
                badCalled.countDown();
                throw new IllegalStateException("boom");
            });
            loop.register("good", new int[] {good.fd()}, new int[] {Epoll.EPOLLIN}, source ->
            {
                good.drain();
                goodCalled.countDown();
                return false;
            });
            bad.signal();
            assertTrue(badCalled.await(10, TimeUnit.SECONDS));
            good.signal();
            waitUntil(() -> goodCalled.getCount() == 1);
            good.signal();
            assertTrue(goodCalled.await(10, TimeUnit.SECONDS));
            // Level-triggered and never drained: a handler still registered would be called forever.
            assertEquals(1, loop.registrations());
        }
    }

    @Test
    void shouldRefuseMalformedRegistrationsAndRegistrationsAfterClose()
    {
        final NetEventLoop loop = NetEventLoop.start("net-test");
        try (EventFd fd = EventFd.create())
        {
            final IllegalArgumentException mismatch = assertThrows(IllegalArgumentException.class,
                () -> loop.register("vm", new int[] {fd.fd()}, LEVEL, source -> false));
            assertEquals("a registration takes 1 to 16 fds, one event mask each: fds=1 events=2", mismatch.getMessage());
            assertEquals(0, loop.registrations());

            loop.close();
            final IllegalStateException closed = assertThrows(IllegalStateException.class,
                () -> loop.register("vm", new int[] {fd.fd()}, new int[] {Epoll.EPOLLIN}, source -> false));
            assertEquals("net event loop is closed: loop=net-test owner=vm", closed.getMessage());
            assertEquals(0, loop.registrations());
        }
        finally
        {
            loop.close();
        }
    }

    @Test
    void shouldServeAnotherVmAfterAtMostOneSliceWhileSeveralAlwaysHaveWorkLeft() throws Exception
    {
        final int hogCount = 3;
        final java.util.concurrent.atomic.AtomicLong hogSlices = new java.util.concurrent.atomic.AtomicLong();
        final java.util.concurrent.atomic.AtomicLongArray slicesPerHog = new java.util.concurrent.atomic.AtomicLongArray(hogCount);
        final List<Long> slicesBeforeServed = new CopyOnWriteArrayList<>();
        final List<EventFd> hogs = new ArrayList<>();
        try (NetEventLoop loop = NetEventLoop.start("net-test"); EventFd other = EventFd.create())
        {
            for (int h = 0; h < hogCount; h++)
            {
                final int index = h;
                final EventFd hog = EventFd.create();
                hogs.add(hog);
                loop.register("hog-" + h, new int[] {hog.fd()}, new int[] {Epoll.EPOLLIN}, new NetEventLoop.Handler()
                {
                    @Override
                    public boolean onReady(final int source)
                    {
                        hog.drain();
                        return slice();
                    }

                    @Override
                    public boolean resume()
                    {
                        return slice();
                    }

                    private boolean slice()
                    {
                        hogSlices.incrementAndGet();
                        slicesPerHog.incrementAndGet(index);
                        return true;
                    }
                });
            }
            final java.util.concurrent.atomic.AtomicLong servedAt = new java.util.concurrent.atomic.AtomicLong();
            final java.util.concurrent.Semaphore served = new java.util.concurrent.Semaphore(0);
            loop.register("other", new int[] {other.fd()}, new int[] {Epoll.EPOLLIN}, source ->
            {
                other.drain();
                servedAt.set(hogSlices.get());
                served.release();
                return false;
            });
            hogs.forEach(EventFd::signal);
            waitUntil(() -> hogSlices.get() > 3000);
            for (int i = 0; i < 20; i++)
            {
                other.signal();
                // Counted from after the signal: were this thread preempted in between, the count only shrinks. (Read
                // before the signal, a preemption there counted the hogs' slices while no event was pending yet.)
                final long signalled = hogSlices.get();
                assertTrue(served.tryAcquire(10, TimeUnit.SECONDS), "the other VM was served while the hogs have work: round " + i);
                slicesBeforeServed.add(servedAt.get() - signalled);
            }
            // Events are collected before every slice: once the signal is in the epoll, at most the slice that began
            // before the next collection runs ahead of the other VM, whatever the number of hogs.
            assertTrue(slicesBeforeServed.stream().allMatch(slices -> slices <= 1), "hog slices before the other was served: "
                + slicesBeforeServed);
            for (int h = 0; h < hogCount; h++)
            {
                assertTrue(slicesPerHog.get(h) > 500, "hog " + h + " kept getting its turn: " + slicesPerHog);
            }
        }
        finally
        {
            hogs.forEach(EventFd::close);
        }
    }

    @Test
    void shouldTellAVmWhoseHandlerThrowsAnErrorThatItLostItsNetworkAndKeepServingTheOthers() throws Exception
    {
        final List<String> lost = new CopyOnWriteArrayList<>();
        try (NetEventLoop loop = NetEventLoop.start("net-test"); EventFd bad = EventFd.create(); EventFd good = EventFd.create())
        {
            loop.register("bad", new int[] {bad.fd()}, new int[] {Epoll.EPOLLIN}, new NetEventLoop.Handler()
            {
                @Override
                public boolean onReady(final int source)
                {
                    throw new AssertionError("device bug");
                }

                @Override
                public void onLost(final String reason)
                {
                    lost.add(reason);
                }
            });
            final CountDownLatch goodCalled = new CountDownLatch(1);
            loop.register("good", new int[] {good.fd()}, new int[] {Epoll.EPOLLIN}, source ->
            {
                good.drain();
                goodCalled.countDown();
                return false;
            });

            bad.signal();
            waitUntil(() -> !lost.isEmpty());
            good.signal();

            assertTrue(goodCalled.await(10, TimeUnit.SECONDS));
            assertEquals(List.of("net handler failed on loop net-test: java.lang.AssertionError: device bug"), lost);
            assertTrue(loop.isAlive());
            assertEquals(1, loop.registrations());
            assertEquals(1, loop.lost());
        }
    }

    @Test
    void shouldDieOnAVirtualMachineErrorTellingEveryVmAndItsOwnerAndTakeNoNewVm() throws Exception
    {
        final List<String> lost = new CopyOnWriteArrayList<>();
        final CountDownLatch ownerTold = new CountDownLatch(1);
        final NetEventLoop loop = NetEventLoop.start("net-test-dies", dead -> ownerTold.countDown());
        try (EventFd fatal = EventFd.create(); EventFd bystander = EventFd.create(); EventFd late = EventFd.create())
        {
            loop.register("fatal", new int[] {fatal.fd()}, new int[] {Epoll.EPOLLIN}, recording(lost, "fatal", () ->
            {
                throw new StackOverflowError("deep");
            }));
            loop.register("bystander", new int[] {bystander.fd()}, new int[] {Epoll.EPOLLIN}, recording(lost, "bystander", () -> { }));

            fatal.signal();

            assertTrue(ownerTold.await(10, TimeUnit.SECONDS), "the owner heard of the death");
            assertEquals(List.of("bystander: net loop net-test-dies died: java.lang.StackOverflowError: deep",
                "fatal: net loop net-test-dies died: java.lang.StackOverflowError: deep"), lost.stream().sorted().toList());
            assertFalse(loop.isAlive());
            assertEquals(2, loop.lost());
            assertEquals(0, loop.registrations());
            waitUntil(() -> !threadAlive("net-test-dies"));
            final IllegalStateException refused = assertThrows(IllegalStateException.class,
                () -> loop.register("late", new int[] {late.fd()}, new int[] {Epoll.EPOLLIN}, source -> false));
            assertEquals("net event loop died: loop=net-test-dies owner=late", refused.getMessage());
        }
        finally
        {
            loop.close();
        }
    }

    /** A handler that runs {@code onReady} and records, prefixed with its name, why it lost its network. */
    private static NetEventLoop.Handler recording(final List<String> lost, final String name, final Runnable onReady)
    {
        return new NetEventLoop.Handler()
        {
            @Override
            public boolean onReady(final int source)
            {
                onReady.run();
                return false;
            }

            @Override
            public void onLost(final String reason)
            {
                lost.add(name + ": " + reason);
            }
        };
    }

    @Test
    void shouldStopItsThreadOnClose()
    {
        final NetEventLoop loop = NetEventLoop.start("net-test-stop");
        assertTrue(threadAlive("net-test-stop"));
        loop.close();
        assertFalse(threadAlive("net-test-stop"));
    }

    private static boolean threadAlive(final String name)
    {
        return Thread.getAllStackTraces().keySet().stream().anyMatch(thread -> thread.getName().equals(name) && thread.isAlive());
    }

    private static void waitUntil(final java.util.function.BooleanSupplier condition) throws InterruptedException
    {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!condition.getAsBoolean())
        {
            assertTrue(System.nanoTime() < deadline, "timed out");
            Thread.sleep(5);
        }
    }

    private static void closeAll(final EventFd... fds)
    {
        for (final EventFd fd : fds)
        {
            if (fd != null)
            {
                fd.close();
            }
        }
    }
}
