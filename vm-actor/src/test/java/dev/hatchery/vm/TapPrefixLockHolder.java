package dev.hatchery.vm;

import java.nio.file.Path;

/** A second process for {@link TapPoolTest}: takes a tap prefix's lock, says so, and holds it until killed. */
final class TapPrefixLockHolder
{
    private TapPrefixLockHolder()
    {
    }

    public static void main(final String[] args) throws InterruptedException
    {
        final TapPrefixLock lock = TapPrefixLock.acquire(Path.of(args[0]), args[1]);
        System.out.println("locked");
        System.out.flush();
        Thread.sleep(Long.MAX_VALUE);
        lock.close();
    }
}
