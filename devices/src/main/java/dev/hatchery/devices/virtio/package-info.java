/**
 * virtio over MMIO (virtio 1.x, modern only): the register file a Linux guest finds at
 * {@code virtio_mmio.device=4K@<base>:<irq>}, split virtqueues over guest RAM, and virtio-net.
 * <p>
 * Everything the guest controls (ring addresses, queue sizes, descriptors, ring indices) is checked
 * before use; a violation never throws to the VMM, it puts the device into DEVICE_NEEDS_RESET and stops
 * its queues until the driver resets it. Nothing here makes a native call: frames leave and arrive
 * through {@link dev.hatchery.devices.virtio.PacketPort} (a tap, opened in module kvm), interrupts
 * through {@link dev.hatchery.devices.InterruptTrigger} (an irqfd) and queue notifications arrive by
 * MMIO exit or, from an ioeventfd drained by an event loop, through
 * {@link dev.hatchery.devices.virtio.VirtioMmioTransport#notifyQueue(int)}.
 */
package dev.hatchery.devices.virtio;
