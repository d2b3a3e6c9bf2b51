package dev.hatchery.devices.virtio;

/** Feature bit numbers shared by all virtio devices (virtio 1.x §6), and helpers to test them. */
public final class VirtioFeatures
{
    /** The driver may use indirect descriptor tables; not offered by Hatchery devices. */
    public static final int VIRTIO_RING_F_INDIRECT_DESC = 28;
    /** used_event / avail_event notification suppression; not offered by Hatchery devices. */
    public static final int VIRTIO_RING_F_EVENT_IDX = 29;
    /** A modern (non-legacy) device; a driver that does not accept it is refused at FEATURES_OK. */
    public static final int VIRTIO_F_VERSION_1 = 32;

    private VirtioFeatures()
    {
    }

    public static long bit(final int feature)
    {
        return 1L << feature;
    }

    public static boolean has(final long features, final int feature)
    {
        return (features & bit(feature)) != 0;
    }
}
