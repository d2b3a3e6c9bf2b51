package dev.hatchery.devices.virtio;

import dev.hatchery.kvm.GuestMemory;

/** What an activated {@link VirtioDevice} gets from its transport. Valid until the device is reset. */
public interface VirtioContext
{
    /** The features the driver accepted (DriverFeatures at FEATURES_OK): a subset of those offered. */
    long ackedFeatures();

    Virtqueue queue(int index);

    GuestMemory memory();

    /** The device changed its config space: bumps ConfigGeneration and raises the config-change interrupt. */
    void configChanged();

    /**
     * The guest broke a rule the transport could not see (e.g. a queue the device needs was never made
     * ready): sets DEVICE_NEEDS_RESET, halts all queues and raises the config-change interrupt.
     */
    void fail(String reason);
}
