package dev.hatchery.kernel;

/** Formats addresses and sizes the way readelf and the boot protocol documents show them. */
final class Hex
{
    private Hex()
    {
    }

    /** Unsigned: a u64 ELF field with the top bit set prints as the value in the file, not a negative number. */
    static String hex(final long value)
    {
        return "0x" + Long.toHexString(value);
    }

    static String range(final long start, final long end)
    {
        return "[" + hex(start) + ", " + hex(end) + ")";
    }
}
