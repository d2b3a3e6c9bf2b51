package dev.hatchery.kvm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

class EpollTest
{
    @Test
    void shouldReportASignalledEventFdWithItsToken()
    {
        try (Epoll epoll = Epoll.create(); EventFd eventFd = EventFd.create())
        {
            final EpollEvents events = new EpollEvents(4);
            epoll.add(eventFd.fd(), Epoll.EPOLLIN, 42);
            eventFd.signal();

            assertEquals(1, epoll.wait(events, 1000));
            assertEquals(42, events.token(0));
            assertEquals(Epoll.EPOLLIN, events.events(0));
            assertEquals(1, eventFd.drain());
            assertEquals(0, epoll.wait(events, 0));
        }
    }

    @Test
    void shouldReportEachReadyDescriptorOnce()
    {
        try (Epoll epoll = Epoll.create(); EventFd first = EventFd.create(); EventFd second = EventFd.create())
        {
            final EpollEvents events = new EpollEvents(4);
            epoll.add(first.fd(), Epoll.EPOLLIN, 1);
            epoll.add(second.fd(), Epoll.EPOLLIN, 0x1_0000_0002L);
            first.signal();
            second.signal();

            assertEquals(2, epoll.wait(events, 1000));
            assertEquals(0x1_0000_0003L, events.token(0) + events.token(1));
        }
    }

    @Test
    void shouldStopReportingARemovedDescriptor()
    {
        try (Epoll epoll = Epoll.create(); EventFd eventFd = EventFd.create())
        {
            final EpollEvents events = new EpollEvents(1);
            epoll.add(eventFd.fd(), Epoll.EPOLLIN, 7);
            eventFd.signal();
            epoll.remove(eventFd.fd());

            assertEquals(0, epoll.wait(events, 0));
        }
    }

    @Test
    void shouldReportTheNewTokenAfterModify()
    {
        try (Epoll epoll = Epoll.create(); EventFd eventFd = EventFd.create())
        {
            final EpollEvents events = new EpollEvents(1);
            epoll.add(eventFd.fd(), Epoll.EPOLLIN, 7);
            epoll.modify(eventFd.fd(), Epoll.EPOLLIN, 8);
            eventFd.signal();

            assertEquals(1, epoll.wait(events, 1000));
            assertEquals(8, events.token(0));
        }
    }

    @Test
    void shouldReturnNoEventsWhenWokenUpFromAnotherThread() throws Exception
    {
        try (Epoll epoll = Epoll.create(); EventFd idle = EventFd.create())
        {
            epoll.add(idle.fd(), Epoll.EPOLLIN, 1);
            final CompletableFuture<Integer> waited = CompletableFuture.supplyAsync(() -> epoll.wait(new EpollEvents(4), -1));
            Thread.sleep(50);

            epoll.wakeup();

            assertEquals(0, waited.get(5, TimeUnit.SECONDS));
            assertEquals(0, epoll.wait(new EpollEvents(4), 0), "the wake-up is consumed by the wait it ended");
        }
    }

    @Test
    void shouldKeepOtherEventsWhenAWakeUpArrivesWithThem()
    {
        try (Epoll epoll = Epoll.create(); EventFd eventFd = EventFd.create())
        {
            final EpollEvents events = new EpollEvents(4);
            epoll.add(eventFd.fd(), Epoll.EPOLLIN, 5);
            epoll.wakeup();
            eventFd.signal();

            assertEquals(1, epoll.wait(events, 1000));
            assertEquals(5, events.token(0));
        }
    }

    @Test
    void shouldSayWhichDescriptorEpollCtlRejected()
    {
        try (Epoll epoll = Epoll.create())
        {
            final NativeCallException ex = assertThrows(NativeCallException.class, () -> epoll.add(-1, Epoll.EPOLLIN, 1));

            assertEquals("epoll_ctl failed: op=EPOLL_CTL_ADD fd=-1 events=0x1 errno=9 (EBADF)", ex.getMessage());
        }
    }

    @Test
    void shouldRejectTheWakeUpToken()
    {
        try (Epoll epoll = Epoll.create(); EventFd eventFd = EventFd.create())
        {
            final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class,
                () -> epoll.add(eventFd.fd(), Epoll.EPOLLIN, Epoll.WAKEUP_TOKEN));

            assertEquals("token is reserved for the wake-up eventfd: token=-9223372036854775808", ex.getMessage());
        }
    }

    @Test
    void shouldLayOutPackedEpollEvents()
    {
        final EpollEvents events = new EpollEvents(3);
        events.set(1, 0x11, 0x0102030405060708L);

        assertEquals(36, events.buffer.capacity());
        assertEquals(0x11, events.buffer.getInt(12));
        assertEquals(0x0102030405060708L, events.buffer.getLong(16));
        events.copy(1, 2);
        assertEquals(0x11, events.events(2));
        assertEquals(0x0102030405060708L, events.token(2));
    }

    @Test
    void shouldRejectAnEmptyEventArray()
    {
        final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, () -> new EpollEvents(0));

        assertEquals("capacity must be positive: capacity=0", ex.getMessage());
    }
}
