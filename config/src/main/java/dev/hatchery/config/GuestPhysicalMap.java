package dev.hatchery.config;

/**
 * The guest-physical address map every VM gets: guest RAM from 0 up to the MMIO gap, device windows inside the
 * gap. The one definition of these addresses (the spec's validation, the e820 map and ELF checks in
 * kernel-cache, the device windows and IRQs in vm-actor and devices all read them here), so they cannot drift.
 *
 * <p>Layout of the gap: the boot-complete device's 4 KiB window at the boot-device address (default: the gap's
 * start, where the seed's guest writes its signal), then one 4 KiB virtio-mmio window per device, in order,
 * each with its own legacy IRQ line counting up from {@link #FIRST_VIRTIO_IRQ}.
 */
public final class GuestPhysicalMap
{
    /** Device windows live in [MMIO_GAP_START, MMIO_GAP_END); guest RAM (and the e820 RAM entry) ends below it. */
    public static final long MMIO_GAP_START = 0xd0000000L;
    /** 4 GiB. */
    public static final long MMIO_GAP_END = 0x1_0000_0000L;
    /** The seed's guest writes its boot-complete byte here (older Firecracker layout; configurable per VM). */
    public static final long DEFAULT_BOOT_DEVICE_ADDRESS = MMIO_GAP_START;
    /** Every device window (boot-complete and each virtio-mmio device) is one 4 KiB page, aligned to it. */
    public static final int DEVICE_WINDOW_LENGTH = 0x1000;
    /** The highest address a device window may start at: the last page below 4 GiB. */
    public static final long LAST_DEVICE_WINDOW = MMIO_GAP_END - DEVICE_WINDOW_LENGTH;
    /** The legacy ISA line of the first virtio-mmio device; free on our machine (the serial port has 4). */
    public static final int FIRST_VIRTIO_IRQ = 5;

    private GuestPhysicalMap()
    {
    }

    /** Where virtio-mmio device {@code index} (0-based) has its window: the pages right after the boot device. */
    public static long virtioWindow(final long bootDeviceAddress, final int index)
    {
        return bootDeviceAddress + (index + 1L) * DEVICE_WINDOW_LENGTH;
    }

    /** The IRQ line of virtio-mmio device {@code index} (0-based), as the guest is told in virtio_mmio.device=...:irq. */
    public static int virtioIrq(final int index)
    {
        return FIRST_VIRTIO_IRQ + index;
    }

    /** End of the RAM below the MMIO gap; guest RAM is capped there for now, so this is where RAM ends. */
    public static long lowRamEnd(final long ramSize)
    {
        return Math.min(ramSize, MMIO_GAP_START);
    }
}
