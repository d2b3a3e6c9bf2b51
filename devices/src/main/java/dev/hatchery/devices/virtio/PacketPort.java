package dev.hatchery.devices.virtio;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

/**
 * Where a {@link VirtioNet}'s frames go and come from: a tap opened with IFF_TAP | IFF_NO_PI |
 * IFF_VNET_HDR and TUNSETVNETHDRSZ 12, implemented in module kvm. Frames on both sides start with the
 * 12-byte virtio_net_hdr_v1, which is also the tap's vnet header layout, so the device passes them
 * through without parsing.
 * <p>
 * The buffers handed in are off-heap ({@code buffer.addressOffset() + index} is a native address,
 * {@code buffer.byteArray()} is null), so an implementation can pass them straight to read(2)/write(2).
 * Called with the device's monitor held, from the event loop or a vCPU thread; must not block. Over a
 * {@code dev.hatchery.kvm.Tap} each method is one call:
 * {@code tap.read(buffer.addressOffset() + index, capacity)}, {@code tap.write(...)}, {@code tap.setOffload(flags)}.
 */
public interface PacketPort
{
    /**
     * Reads one frame into {@code buffer[index, index + capacity)}; capacity always holds the largest
     * frame (vnet header + 64 KiB GSO packet).
     *
     * @return the frame's length, or 0 or less when nothing is waiting (EAGAIN; Tap.read's -1 passes through).
     * @throws RuntimeException on an I/O error: the device counts it in {@link VirtioNet#portErrors()} and stops reading for now.
     */
    int read(MutableDirectBuffer buffer, int index, int capacity);

    /**
     * Writes one frame, {@code buffer[index, index + length)}.
     *
     * @return the bytes written, or 0 or less when it cannot be taken now (the frame is dropped; Tap.write's -1 passes through).
     * @throws RuntimeException on an I/O error: the device drops the frame and counts it in {@link VirtioNet#portErrors()}.
     */
    int write(DirectBuffer buffer, int index, int length);

    /**
     * The driver's accepted receive offloads as {@code Tap.TUN_F_*} flags, for TUNSETOFFLOAD
     * ({@code Tap.setOffload}): the tap may hand over only frames the guest said it can take. Called on
     * each activation, before any frame is read.
     */
    void configureOffloads(int tunOffloadFlags);
}
