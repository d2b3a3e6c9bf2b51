package dev.hatchery.vm;

import java.util.Objects;

import dev.hatchery.config.VmSpec;

/**
 * A caller's hold on a captured clone template ({@link VmHost#acquireCloneTemplate}): while held, the template is
 * not dropped from the host's cache, and clones of it can be launched. Closing gives the hold back (once).
 */
public final class CloneTemplate implements AutoCloseable
{
    private final CloneTemplates.Hold<CloneImage> hold;
    private final CloneImage image;

    CloneTemplate(final CloneTemplates.Hold<CloneImage> hold)
    {
        this.hold = Objects.requireNonNull(hold, "hold");
        this.image = hold.value();
    }

    CloneImage image()
    {
        return image;
    }

    /** The spec every clone of this template has. */
    public VmSpec spec()
    {
        return image.spec();
    }

    /** Bytes of the template's RAM held in its memory file (the pages that were not zero). */
    public long capturedBytes()
    {
        return image.capturedBytes();
    }

    /** How long making the template took: booting its VM to the ready point and capturing it. */
    public long prepareNanos()
    {
        return image.prepareNanos();
    }

    @Override
    public void close()
    {
        hold.release();
    }
}
