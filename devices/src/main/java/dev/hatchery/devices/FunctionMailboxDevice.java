package dev.hatchery.devices;

import java.nio.ByteOrder;
import java.util.Objects;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

import dev.hatchery.config.FunctionMailbox;

/**
 * The function mailbox's one register and the host's side of its memory ({@link FunctionMailbox} has the layout). It
 * sits in the boot device's window at {@link #OFFSET_IN_BOOT_WINDOW}: {@code 0x00} DONE (write) — the guest's reply
 * is in the mailbox; the first write runs {@code onDone} on the vCPU thread (the VM then stops), later ones are
 * ignored. Reads return zeros.
 *
 * <p>The guest is not trusted: the reply is read only after its vCPU has stopped, every length it wrote is checked
 * against its area before a byte is copied, and no more than the payload limit plus 4 KiB is ever copied out.
 */
public final class FunctionMailboxDevice implements Device
{
    public static final int OFFSET_IN_BOOT_WINDOW = 0xc00;
    public static final int LENGTH = BootCompleteDevice.LENGTH - OFFSET_IN_BOOT_WINDOW;
    static final int DONE = 0x00;

    private final Runnable onDone;
    private boolean done;
    private long ignoredWrites;

    public FunctionMailboxDevice(final Runnable onDone)
    {
        this.onDone = Objects.requireNonNull(onDone, "onDone");
    }

    @Override
    public String name()
    {
        return "function-mailbox";
    }

    @Override
    public void read(final long offset, final MutableDirectBuffer data, final int index, final int length)
    {
        if (length > 0)
        {
            data.setMemory(index, length, (byte)0);
        }
    }

    @Override
    public synchronized void write(final long offset, final DirectBuffer data, final int index, final int length)
    {
        if (offset != DONE || done)
        {
            ignoredWrites++;
            return;
        }
        done = true;
        onDone.run();
    }

    public synchronized boolean done()
    {
        return done;
    }

    public synchronized long ignoredWrites()
    {
        return ignoredWrites;
    }

    /**
     * Puts {@code request} into a mailbox region ({@code region} spans it, {@link FunctionMailbox#regionBytes()} long) and
     * clears the reply words, before the guest runs.
     */
    public static void writeRequest(final MutableDirectBuffer region, final FunctionMailbox mailbox, final byte[] request)
    {
        if (request.length > mailbox.capacity())
        {
            throw new IllegalArgumentException("request of " + request.length + " bytes is over the payload limit of " + mailbox.capacity()
                + " bytes; send less or deploy the function with a higher limit");
        }
        region.setMemory(0, FunctionMailbox.HEADER_BYTES, (byte)0);
        region.putInt(FunctionMailbox.REQUEST_LEN, request.length, ByteOrder.LITTLE_ENDIAN);
        region.putBytes(mailbox.requestOffset(), request);
    }

    /** Reads the guest's reply out of a mailbox region, checking each length it wrote against the room it had. */
    public static FunctionReply readReply(final DirectBuffer region, final FunctionMailbox mailbox)
    {
        final long responseLength = Integer.toUnsignedLong(region.getInt(FunctionMailbox.RESPONSE_LEN, ByteOrder.LITTLE_ENDIAN));
        final long stderrLength = Integer.toUnsignedLong(region.getInt(FunctionMailbox.STDERR_LEN, ByteOrder.LITTLE_ENDIAN));
        if (responseLength > mailbox.capacity())
        {
            return FunctionReply.violated("response length " + responseLength + " is over the mailbox's " + mailbox.capacity() + " bytes");
        }
        if (stderrLength > FunctionMailbox.STDERR_BYTES)
        {
            return FunctionReply.violated("stderr length " + stderrLength + " is over the mailbox's " + FunctionMailbox.STDERR_BYTES + " bytes");
        }
        final byte[] stdout = new byte[(int)responseLength];
        region.getBytes(mailbox.responseOffset(), stdout);
        final byte[] stderr = new byte[(int)stderrLength];
        region.getBytes(mailbox.stderrOffset(), stderr);
        return new FunctionReply(stdout, stderr, region.getInt(FunctionMailbox.WAIT_STATUS, ByteOrder.LITTLE_ENDIAN),
            region.getInt(FunctionMailbox.FLAGS, ByteOrder.LITTLE_ENDIAN), null);
    }
}
