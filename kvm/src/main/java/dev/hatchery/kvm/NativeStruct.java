package dev.hatchery.kvm;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

import org.agrona.concurrent.UnsafeBuffer;

/** Off-heap scratch memory for one C struct passed to an ioctl; layouts live in the subclasses as offsets. */
abstract class NativeStruct
{
    final UnsafeBuffer buffer;

    NativeStruct(final int size)
    {
        buffer = new UnsafeBuffer(ByteBuffer.allocateDirect(size).order(ByteOrder.nativeOrder()));
    }

    final long address()
    {
        return buffer.addressOffset();
    }

    final void clear()
    {
        buffer.setMemory(0, buffer.capacity(), (byte)0);
    }
}
