package dev.hatchery.devices.virtio;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

/** Test double for a tap: frames to deliver wait in a queue, frames sent are kept. */
final class FakePacketPort implements PacketPort
{
    final Deque<byte[]> inbound = new ArrayDeque<>();
    final List<byte[]> sent = new ArrayList<>();
    int offloads = -1;
    int offloadCalls;
    /** When set, write() returns this instead of the length. */
    Integer writeResult;
    /** When set, read() and write() throw it, as Tap does on an I/O error. */
    RuntimeException failure;
    /** What read() returns when no frame is queued: Tap returns -1 (EAGAIN). */
    int emptyResult = -1;
    boolean offHeapBuffers = true;

    @Override
    public int read(final MutableDirectBuffer buffer, final int index, final int capacity)
    {
        offHeapBuffers &= buffer.byteArray() == null;
        if (failure != null)
        {
            throw failure;
        }
        final byte[] frame = inbound.poll();
        if (frame == null)
        {
            return emptyResult;
        }
        final int length = Math.min(frame.length, capacity);
        buffer.putBytes(index, frame, 0, length);
        return length;
    }

    @Override
    public int write(final DirectBuffer buffer, final int index, final int length)
    {
        offHeapBuffers &= buffer.byteArray() == null;
        if (failure != null)
        {
            throw failure;
        }
        if (writeResult != null)
        {
            return writeResult;
        }
        final byte[] frame = new byte[length];
        buffer.getBytes(index, frame);
        sent.add(frame);
        return length;
    }

    @Override
    public void configureOffloads(final int tunOffloadFlags)
    {
        offloads = tunOffloadFlags;
        offloadCalls++;
    }
}
