package dev.hatchery.devices.virtio;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

/**
 * A virtio device type (net, block, ...) behind a {@link VirtioMmioTransport}, which owns the register
 * file, the feature handshake, the queues and the interrupt status.
 * <p>
 * Threading: the transport calls every method below while holding this device object's monitor, from a
 * vCPU thread (MMIO exits) or the event loop ({@link VirtioMmioTransport#notifyQueue(int)}). A device's
 * own entry points called from elsewhere (e.g. "the tap is readable") must be {@code synchronized} so
 * they serialise with those calls; there is no other lock, so no lock order to get wrong.
 * <p>
 * No method may throw on anything the guest controls: guest errors go to {@link VirtioContext#fail(String)}.
 */
public interface VirtioDevice
{
    /** Short name used in messages, e.g. {@code virtio-net}. */
    String name();

    /** Device ID register value (virtio 1.x §5), e.g. 1 for a network card. */
    int deviceId();

    /** Feature bits offered to the driver; must include {@link VirtioFeatures#VIRTIO_F_VERSION_1}. */
    long deviceFeatures();

    /**
     * Checks dependencies between the features the driver accepted (e.g. a TSO feature without its
     * checksum feature); false refuses FEATURES_OK. Only called with offered features and VERSION_1.
     */
    default boolean acceptsFeatures(final long driverFeatures)
    {
        return true;
    }

    int queueCount();

    /** QueueNumMax for a queue: a power of 2, at most 32768. */
    int queueMaxSize(int index);

    /** Bytes of device-specific configuration space, at transport offset 0x100. */
    int configSize();

    /** Fills {@code data[index, index + length)} from config space; the transport has bounds-checked the range. */
    void readConfig(int offset, MutableDirectBuffer data, int index, int length);

    /** A driver write to config space; the transport has bounds-checked the range. */
    void writeConfig(int offset, DirectBuffer data, int index, int length);

    /** The driver set DRIVER_OK: start using the queues. */
    void activate(VirtioContext context);

    /** The driver notified a queue (MMIO write to QueueNotify or the ioeventfd fast path); only while active. */
    void queueNotified(int index);

    /** The driver wrote 0 to Status: forget the activation and anything held from the queues. */
    void reset();
}
