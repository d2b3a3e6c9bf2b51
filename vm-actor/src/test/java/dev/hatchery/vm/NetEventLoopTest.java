package dev.hatchery.vm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
                () -> loop.register("vm", new int[] {fd.fd()}, LEVEL, source -> { }));
            assertEquals("a registration takes 1 to 16 fds, one event mask each: fds=1 events=2", mismatch.getMessage());
            assertEquals(0, loop.registrations());

            loop.close();
            final IllegalStateException closed = assertThrows(IllegalStateException.class,
                () -> loop.register("vm", new int[] {fd.fd()}, new int[] {Epoll.EPOLLIN}, source -> { }));
            assertEquals("net event loop is closed: loop=net-test owner=vm", closed.getMessage());
            assertEquals(0, loop.registrations());
        }
        finally
        {
            loop.close();
        }
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
