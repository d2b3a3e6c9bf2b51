package dev.hatchery.config;

/**
 * Where a function's guest and the host exchange one invocation's bytes: a region at the top of guest RAM that the
 * guest kernel is told to leave alone ({@code memmap=<size>$<address>}), and that the guest's /init maps through
 * /dev/mem ({@code hatchery.function=<address>,<capacity>}). The host writes the request before the clone runs and
 * reads the reply after its vCPU has stopped, so the bytes cross with no VM exit; the guest's one exit is the DONE
 * store to the mailbox's register in the boot device's window. Layout (offsets in the region):
 * <ul>
 *   <li>{@code 0x0000} header, 32-bit little-endian words: REQUEST_LEN (host), RESPONSE_LEN, STDERR_LEN,
 *       WAIT_STATUS (the handler's, as wait4 gives it), FLAGS (guest)</li>
 *   <li>{@code 0x1000} the request, {@code capacity} bytes</li>
 *   <li>{@code 0x1000 + capacity} the response (the handler's stdout), {@code capacity} bytes</li>
 *   <li>{@code 0x1000 + 2 * capacity} the last 4 KiB of the handler's stderr</li>
 * </ul>
 * The one definition of this layout on the host; guest/init/init.c spells the same numbers.
 *
 * @param address  guest-physical start of the region
 * @param capacity the largest request and the largest response, in bytes (a multiple of 4 KiB)
 */
public record FunctionMailbox(long address, int capacity)
{
    public static final int HEADER_BYTES = 0x1000;
    public static final int STDERR_BYTES = 0x1000;
    public static final int REQUEST_LEN = 0x00;
    public static final int RESPONSE_LEN = 0x04;
    public static final int STDERR_LEN = 0x08;
    public static final int WAIT_STATUS = 0x0c;
    public static final int FLAGS = 0x10;
    /** FLAGS: the handler wrote more than {@code capacity} bytes; the rest was read and dropped. */
    public static final int FLAG_RESPONSE_OVERFLOW = 1;
    /** FLAGS: the handler never ran (its stderr says why). */
    public static final int FLAG_SETUP_FAILED = 2;
    /** Capacity bounds: one page, and 64 MiB (the region comes out of guest RAM). */
    public static final int MIN_CAPACITY = 0x1000;
    public static final int MAX_CAPACITY = 64 << 20;
    /** The default payload limit for requests and responses. */
    public static final int DEFAULT_CAPACITY = 1 << 20;
    /** The command-line word that tells the guest's /init where the mailbox is. */
    public static final String CMDLINE_KEY = "hatchery.function=";
    private static final String MEMMAP_KEY = "memmap=";

    /** The mailbox with room for {@code capacity} bytes each way at the top of {@code memBytes} of guest RAM. */
    public static FunctionMailbox atTopOf(final long memBytes, final int capacity)
    {
        checkCapacity(capacity);
        final long region = regionBytes(capacity);
        final long ramEnd = GuestPhysicalMap.lowRamEnd(memBytes);
        if (region > ramEnd / 2)
        {
            throw new InvalidSpecException(SpecField.PAYLOAD_LIMIT, "payload-limit=" + capacity + " with mem-mib=" + (memBytes >> 20),
                "the mailbox (" + region + " bytes: request, response and 8 KiB) takes at most half of guest RAM; give the VM more memory or lower the limit");
        }
        return new FunctionMailbox(ramEnd - region, capacity);
    }

    static void checkCapacity(final int capacity)
    {
        if (capacity < MIN_CAPACITY || capacity > MAX_CAPACITY || capacity % MIN_CAPACITY != 0)
        {
            throw new InvalidSpecException(SpecField.PAYLOAD_LIMIT, "payload-limit=" + capacity,
                "must be a multiple of 4096 between " + MIN_CAPACITY + " and " + MAX_CAPACITY + " bytes");
        }
    }

    private static long regionBytes(final int capacity)
    {
        return HEADER_BYTES + 2L * capacity + STDERR_BYTES;
    }

    /** The region's size in bytes. */
    public long regionBytes()
    {
        return regionBytes(capacity);
    }

    public int requestOffset()
    {
        return HEADER_BYTES;
    }

    public int responseOffset()
    {
        return HEADER_BYTES + capacity;
    }

    public int stderrOffset()
    {
        return HEADER_BYTES + 2 * capacity;
    }

    /** The words the guest's kernel command line carries for this mailbox: the reservation, then where /init finds it. */
    public String cmdlineWords()
    {
        return MEMMAP_KEY + "0x" + Long.toHexString(regionBytes()) + "$0x" + Long.toHexString(address) + " " + CMDLINE_KEY + "0x"
            + Long.toHexString(address) + "," + capacity;
    }

    /** True when {@code word} is one this class puts on a command line (a spec must not set them itself). */
    static boolean isMailboxWord(final String word)
    {
        return word.startsWith(MEMMAP_KEY) || word.startsWith(CMDLINE_KEY);
    }
}
