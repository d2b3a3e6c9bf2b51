package dev.hatchery.devices;

import java.nio.charset.StandardCharsets;

/**
 * One VM's console output, bounded: a chatty or looping guest must not grow the VMM's heap, and the
 * most recent output is what explains a failure. Keeps the last {@code capacityBytes} bytes in a ring
 * and counts what fell out. Written by the vCPU thread, read by others; uncontended locking costs far
 * less than the port exit that delivers each byte.
 */
public final class ConsoleLog
{
    private final byte[] ring;
    private int writeIndex;
    private long totalBytes;

    public ConsoleLog(final int capacityBytes)
    {
        if (capacityBytes < 0)
        {
            throw new IllegalArgumentException("console capacity must not be negative: capacityBytes=" + capacityBytes);
        }
        ring = new byte[capacityBytes];
    }

    public synchronized void append(final byte b)
    {
        if (ring.length > 0)
        {
            ring[writeIndex] = b;
            writeIndex = writeIndex + 1 == ring.length ? 0 : writeIndex + 1;
        }
        totalBytes++;
    }

    /** The kept bytes as UTF-8 (malformed sequences replaced), after a marker when older bytes were dropped. */
    public synchronized String text()
    {
        final int kept = (int)Math.min(totalBytes, ring.length);
        final byte[] bytes = new byte[kept];
        final int start = totalBytes > ring.length ? writeIndex : 0;
        final int firstPart = Math.min(kept, ring.length - start);
        System.arraycopy(ring, start, bytes, 0, firstPart);
        System.arraycopy(ring, 0, bytes, firstPart, kept - firstPart);
        final String keptText = new String(bytes, StandardCharsets.UTF_8);
        final long dropped = totalBytes - kept;
        return dropped > 0 ? "[... " + dropped + " bytes dropped ...]\n" + keptText : keptText;
    }

    public synchronized long totalBytes()
    {
        return totalBytes;
    }

    public synchronized long droppedBytes()
    {
        return totalBytes - Math.min(totalBytes, ring.length);
    }
}
