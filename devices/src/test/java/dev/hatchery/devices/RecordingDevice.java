package dev.hatchery.devices;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

/** Test double: answers reads with a fixed byte and remembers the last access it saw. */
final class RecordingDevice implements Device
{
    private final String name;
    private final byte readValue;
    long lastOffset = -1;
    int lastLength = -1;
    int lastWrittenByte = -1;
    int reads;
    int writes;

    RecordingDevice(final String name, final int readValue)
    {
        this.name = name;
        this.readValue = (byte)readValue;
    }

    @Override
    public String name()
    {
        return name;
    }

    @Override
    public void read(final long offset, final MutableDirectBuffer data, final int index, final int length)
    {
        reads++;
        lastOffset = offset;
        lastLength = length;
        data.setMemory(index, length, readValue);
    }

    @Override
    public void write(final long offset, final DirectBuffer data, final int index, final int length)
    {
        writes++;
        lastOffset = offset;
        lastLength = length;
        lastWrittenByte = data.getByte(index) & 0xff;
    }
}
