package dev.hatchery.kvm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class EventFdTest
{
    @Test
    void shouldCountSignalsUntilDrained()
    {
        try (EventFd eventFd = EventFd.create())
        {
            eventFd.signal();
            eventFd.signal();
            eventFd.signal();

            assertEquals(3, eventFd.drain());
            assertEquals(0, eventFd.drain());
        }
    }

    @Test
    void shouldDrainNothingWithoutBlockingWhenNeverSignalled()
    {
        try (EventFd eventFd = EventFd.create())
        {
            assertEquals(0, eventFd.drain());
            assertTrue(eventFd.fd() >= 0);
        }
    }

    @Test
    void shouldCloseOnlyOnce()
    {
        final EventFd eventFd = EventFd.create();

        eventFd.close();
        eventFd.close();
    }
}
