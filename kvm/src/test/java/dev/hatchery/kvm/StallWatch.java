package dev.hatchery.kvm;

import java.time.Duration;
import java.util.Map;

/**
 * Prints every thread's stack once if an integration test class is still running after a while. In the
 * emulated lab a stalled run shows nothing at all (the lab's own kernel stopped scheduling: a lab stall),
 * while a hang in our code shows these stacks: the launcher's per-class timeout alone cannot tell them apart.
 */
public final class StallWatch implements AutoCloseable
{
    private final Thread thread;

    private StallWatch(final String what, final Duration after)
    {
        thread = new Thread(() ->
        {
            try
            {
                Thread.sleep(after.toMillis());
            }
            catch (final InterruptedException ex)
            {
                return;
            }
            final StringBuilder sb = new StringBuilder("stall-watch: " + what + " still running after " + after.toSeconds()
                + " s; thread stacks follow\n");
            for (final Map.Entry<Thread, StackTraceElement[]> entry : Thread.getAllStackTraces().entrySet())
            {
                sb.append("\"").append(entry.getKey().getName()).append("\" ").append(entry.getKey().getState()).append('\n');
                for (final StackTraceElement frame : entry.getValue())
                {
                    sb.append("    at ").append(frame).append('\n');
                }
            }
            System.out.print(sb);
            System.out.flush();
        }, "stall-watch");
        thread.setDaemon(true);
        thread.start();
    }

    public static StallWatch start(final String what, final Duration after)
    {
        return new StallWatch(what, after);
    }

    @Override
    public void close()
    {
        thread.interrupt();
    }
}
