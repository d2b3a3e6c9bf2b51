package dev.hatchery.devices;

import java.util.Objects;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

/**
 * Routes guest accesses in one address space (port I/O or MMIO) to the device whose range holds them,
 * as Firecracker's bus does. Every VM exit passes through here, so lookup is a binary search over
 * sorted arrays that allocates nothing; registration copies the arrays, which only happens while a VM
 * is built. Unclaimed accesses read as the bus's floating value and never fail: guests probe for
 * hardware that is not there.
 */
public final class Bus
{
    private static final byte PORT_IO_UNCLAIMED = (byte)0xff;
    private static final byte MMIO_UNCLAIMED = 0;

    private final String name;
    private final byte unclaimedReadValue;
    private volatile Ranges ranges = Ranges.EMPTY;

    public Bus(final String name, final byte unclaimedReadValue)
    {
        this.name = Objects.requireNonNull(name, "name");
        this.unclaimedReadValue = unclaimedReadValue;
    }

    /** The port I/O bus: unclaimed ports read as all ones, like an ISA bus with nothing driving it. */
    public static Bus portIo()
    {
        return new Bus("pio", PORT_IO_UNCLAIMED);
    }

    /** The MMIO bus: unclaimed addresses read as zero. */
    public static Bus mmio()
    {
        return new Bus("mmio", MMIO_UNCLAIMED);
    }

    /**
     * Claims {@code [base, base + length)} for a device.
     *
     * @throws IllegalArgumentException when the range is empty, negative or overflows, or overlaps a
     *                                  registered one.
     */
    public synchronized void register(final long base, final long length, final Device device)
    {
        Objects.requireNonNull(device, "device");
        if (base < 0 || length <= 0 || base > Long.MAX_VALUE - length)
        {
            throw new IllegalArgumentException(name + " bus: invalid range for " + device.name() + ": base=" + hex(base)
                + " length=" + length);
        }
        final long end = base + length;
        final Ranges current = ranges;
        final int count = current.bases.length;
        int insertAt = 0;
        for (int i = 0; i < count; i++)
        {
            final long otherBase = current.bases[i];
            final long otherEnd = otherBase + current.lengths[i];
            if (base < otherEnd && otherBase < end)
            {
                throw new IllegalArgumentException(name + " bus: range " + range(base, end) + " for " + device.name()
                    + " overlaps " + range(otherBase, otherEnd) + " of " + current.devices[i].name());
            }
            if (otherBase < base)
            {
                insertAt = i + 1;
            }
        }
        ranges = current.with(insertAt, base, length, device);
    }

    /**
     * Reads from the device that claims {@code [address, address + length)}.
     *
     * @return false when no device claims the whole access; data then holds the unclaimed value.
     */
    public boolean read(final long address, final MutableDirectBuffer data, final int index, final int length)
    {
        final Ranges current = ranges;
        final int i = current.indexOf(address, length);
        if (i < 0)
        {
            if (length > 0)
            {
                data.setMemory(index, length, unclaimedReadValue);
            }
            return false;
        }
        current.devices[i].read(address - current.bases[i], data, index, length);
        return true;
    }

    /** Writes to the device that claims {@code [address, address + length)}; false (write dropped) when none does. */
    public boolean write(final long address, final DirectBuffer data, final int index, final int length)
    {
        final Ranges current = ranges;
        final int i = current.indexOf(address, length);
        if (i < 0)
        {
            return false;
        }
        current.devices[i].write(address - current.bases[i], data, index, length);
        return true;
    }

    @Override
    public String toString()
    {
        return name + " bus: devices=" + ranges.devices.length;
    }

    private static String range(final long base, final long end)
    {
        return "[" + hex(base) + ", " + hex(end) + ")";
    }

    private static String hex(final long value)
    {
        return value < 0 ? "-0x" + Long.toHexString(-value) : "0x" + Long.toHexString(value);
    }

    /** An immutable snapshot, so readers on vCPU threads never see a half-done registration. */
    private static final class Ranges
    {
        static final Ranges EMPTY = new Ranges(new long[0], new long[0], new Device[0]);

        final long[] bases;
        final long[] lengths;
        final Device[] devices;

        Ranges(final long[] bases, final long[] lengths, final Device[] devices)
        {
            this.bases = bases;
            this.lengths = lengths;
            this.devices = devices;
        }

        Ranges with(final int at, final long base, final long length, final Device device)
        {
            final int count = bases.length;
            final long[] newBases = new long[count + 1];
            final long[] newLengths = new long[count + 1];
            final Device[] newDevices = new Device[count + 1];
            System.arraycopy(bases, 0, newBases, 0, at);
            System.arraycopy(lengths, 0, newLengths, 0, at);
            System.arraycopy(devices, 0, newDevices, 0, at);
            newBases[at] = base;
            newLengths[at] = length;
            newDevices[at] = device;
            System.arraycopy(bases, at, newBases, at + 1, count - at);
            System.arraycopy(lengths, at, newLengths, at + 1, count - at);
            System.arraycopy(devices, at, newDevices, at + 1, count - at);
            return new Ranges(newBases, newLengths, newDevices);
        }

        /** The range holding all of {@code [address, address + length)}, or -1 (an access running past the end is unclaimed). */
        int indexOf(final long address, final int length)
        {
            int low = 0;
            int high = bases.length - 1;
            while (low <= high)
            {
                final int mid = (low + high) >>> 1;
                if (bases[mid] <= address)
                {
                    low = mid + 1;
                }
                else
                {
                    high = mid - 1;
                }
            }
            if (high < 0 || length <= 0)
            {
                return -1;
            }
            final long offset = address - bases[high];
            return offset < lengths[high] && length <= lengths[high] - offset ? high : -1;
        }
    }
}
