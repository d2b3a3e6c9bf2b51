package dev.hatchery.vm;

import java.util.Locale;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * Monotonic timestamps (System.nanoTime) of each {@link Phase}; written by the building thread and the
 * vCPU thread, read by anyone. A phase never reached stays 0.
 */
public final class Timeline
{
    private final AtomicLongArray nanos = new AtomicLongArray(Phase.values().length);

    /** Starts a timeline with the request time, the origin of every duration. */
    public static Timeline startingNow()
    {
        final Timeline timeline = new Timeline();
        timeline.mark(Phase.REQUEST);
        return timeline;
    }

    /** An independent copy of the marks so far: a snapshot that later marks do not change. */
    public Timeline copy()
    {
        final Timeline copy = new Timeline();
        for (int i = 0; i < nanos.length(); i++)
        {
            copy.nanos.set(i, nanos.get(i));
        }
        return copy;
    }

    public void mark(final Phase phase)
    {
        nanos.set(phase.ordinal(), System.nanoTime());
    }

    /** Records a timestamp taken elsewhere (e.g. by the boot-complete device at the moment of the write). */
    public void mark(final Phase phase, final long timestampNanos)
    {
        nanos.set(phase.ordinal(), timestampNanos);
    }

    public boolean reached(final Phase phase)
    {
        return nanos.get(phase.ordinal()) != 0;
    }

    public long nanos(final Phase phase)
    {
        return nanos.get(phase.ordinal());
    }

    /** Nanoseconds from the request to the phase, or -1 if it was not reached. */
    public long sinceRequest(final Phase phase)
    {
        final long at = nanos(phase);
        return at == 0 ? -1 : at - nanos(Phase.REQUEST);
    }

    /** One line per reached phase, as durations from the request, e.g. {@code   load_kernel      1.482 ms}. */
    public String format()
    {
        final StringBuilder sb = new StringBuilder();
        for (final Phase phase : Phase.values())
        {
            final long since = sinceRequest(phase);
            if (since >= 0)
            {
                sb.append(String.format(Locale.ROOT, "  %-14s %10.3f ms%n", phase.label(), since / 1e6));
            }
        }
        return sb.toString();
    }

    /**
     * One line per {@link Span} this timeline has both ends of, e.g. {@code   VMM              1.482 ms  VM Request→kernel entry};
     * empty when the guest reported no milestone.
     */
    public String formatSpans()
    {
        final StringBuilder sb = new StringBuilder();
        for (final Span span : Span.values())
        {
            final long nanos = span.nanos(this);
            if (nanos >= 0)
            {
                sb.append(String.format(Locale.ROOT, "  %-14s %10.3f ms  %s%n", span.label(), nanos / 1e6, span.description()));
            }
        }
        return sb.toString();
    }
}
