package dev.hatchery.devices;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.charset.StandardCharsets;

import org.junit.jupiter.api.Test;

class ConsoleLogTest
{
    @Test
    void shouldKeepEverythingWhenOutputFitsTheCapacity()
    {
        final ConsoleLog log = new ConsoleLog(16);

        append(log, "Linux version");

        assertEquals("Linux version", log.text());
        assertEquals(13, log.totalBytes());
        assertEquals(0, log.droppedBytes());
    }

    @Test
    void shouldKeepEverythingWhenOutputExactlyFillsTheCapacity()
    {
        final ConsoleLog log = new ConsoleLog(5);

        append(log, "hello");

        assertEquals("hello", log.text());
        assertEquals(0, log.droppedBytes());
    }

    @Test
    void shouldKeepTheMostRecentBytesAndSayHowManyWereDroppedWhenOutputExceedsTheCapacity()
    {
        final ConsoleLog log = new ConsoleLog(8);

        append(log, "0123456789abcdef-tail");

        assertEquals("[... 13 bytes dropped ...]\ndef-tail", log.text());
        assertEquals(21, log.totalBytes());
        assertEquals(13, log.droppedBytes());
    }

    @Test
    void shouldStayCorrectWhenTheRingWrapsManyTimes()
    {
        final ConsoleLog log = new ConsoleLog(3);
        for (int i = 0; i < 1000; i++)
        {
            log.append((byte)('0' + i % 10));
        }

        assertEquals("[... 997 bytes dropped ...]\n789", log.text());
    }

    @Test
    void shouldReplaceMalformedUtf8WhenTheRingCutsACharacter()
    {
        final ConsoleLog log = new ConsoleLog(3);

        append(log, "x\u00e9ok");

        assertEquals("[... 2 bytes dropped ...]\n\ufffdok", log.text());
    }

    @Test
    void shouldDecodeUtf8WhenCharactersAreWhole()
    {
        final ConsoleLog log = new ConsoleLog(64);

        append(log, "caf\u00e9 \u2713");

        assertEquals("caf\u00e9 \u2713", log.text());
    }

    @Test
    void shouldCountButKeepNothingWhenCapacityIsZero()
    {
        final ConsoleLog log = new ConsoleLog(0);

        append(log, "abc");

        assertEquals("[... 3 bytes dropped ...]\n", log.text());
        assertEquals(3, log.totalBytes());
    }

    @Test
    void shouldRejectCapacityWhenNegative()
    {
        final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, () -> new ConsoleLog(-1));

        assertEquals("console capacity must not be negative: capacityBytes=-1", ex.getMessage());
    }

    @Test
    void shouldSeeEveryByteWhenReadFromAnotherThread() throws InterruptedException
    {
        final ConsoleLog log = new ConsoleLog(4096);
        final Thread writer = new Thread(() -> append(log, "x".repeat(10_000)));
        writer.start();
        writer.join();

        assertEquals(10_000, log.totalBytes());
        assertEquals(10_000 - 4096, log.droppedBytes());
    }

    private static void append(final ConsoleLog log, final String text)
    {
        for (final byte b : text.getBytes(StandardCharsets.UTF_8))
        {
            log.append(b);
        }
    }
}
