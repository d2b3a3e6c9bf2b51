package dev.hatchery.vm;

import java.util.Optional;

/**
 * Where a VM's boot time goes, as the time between two {@link Phase}s: the VMM's share (up to the guest's
 * first instruction), then the guest's, split into kernel and init where the guest reports /init. A span
 * whose ends a VM did not both reach has no value for that VM (it is absent, never 0).
 */
public enum Span
{
    VMM("VMM", "vmm", Phase.REQUEST, Phase.KERNEL_ENTRY),
    GUEST("guest", "guest", Phase.KERNEL_ENTRY, Phase.BOOT_COMPLETE),
    KERNEL("kernel", "kernel", Phase.KERNEL_ENTRY, Phase.INIT_STARTED),
    INIT("init", "init", Phase.INIT_STARTED, Phase.BOOT_COMPLETE);

    private final String label;
    private final String jsonKey;
    private final Phase from;
    private final Phase to;

    Span(final String label, final String jsonKey, final Phase from, final Phase to)
    {
        this.label = label;
        this.jsonKey = jsonKey;
        this.from = from;
        this.to = to;
    }

    /** For people, e.g. {@code VMM}. */
    public String label()
    {
        return label;
    }

    /** The span's name in JSON (batch reports): a camelCase identifier tools can rely on, spelled out like {@link Phase#jsonKey()}. */
    public String jsonKey()
    {
        return jsonKey;
    }

    public Phase from()
    {
        return from;
    }

    public Phase to()
    {
        return to;
    }

    /** What it measures, e.g. {@code request→kernel entry}. */
    public String description()
    {
        return from.label() + "\u2192" + to.label();
    }

    /** Nanoseconds from {@link #from()} to {@link #to()} in this timeline, or -1 unless both were reached in that order. */
    public long nanos(final Timeline timeline)
    {
        if (!timeline.reached(from) || !timeline.reached(to))
        {
            return -1;
        }
        final long nanos = timeline.nanos(to) - timeline.nanos(from);
        return nanos < 0 ? -1 : nanos;
    }

    /** The span a {@link #jsonKey()} names, or empty for a key this version does not know. */
    public static Optional<Span> ofJsonKey(final String key)
    {
        for (final Span span : values())
        {
            if (span.jsonKey.equals(key))
            {
                return Optional.of(span);
            }
        }
        return Optional.empty();
    }
}
