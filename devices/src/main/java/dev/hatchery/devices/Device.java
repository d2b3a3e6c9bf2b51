package dev.hatchery.devices;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

/** A device on a bus; offset is relative to the start of the range it was registered at. */
public interface Device
{
    /** Short name used in messages, e.g. {@code serial} or {@code boot-complete}. */
    String name();

    /** Fill data[index, index+length) with the value read. */
    void read(long offset, MutableDirectBuffer data, int index, int length);

    void write(long offset, DirectBuffer data, int index, int length);
}
