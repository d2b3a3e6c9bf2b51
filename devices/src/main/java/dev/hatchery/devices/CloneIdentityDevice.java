package dev.hatchery.devices;

import java.time.Instant;
import java.util.Objects;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * Where a cloned guest learns who it is. It shares the boot-complete device's 4 KiB window (its upper half), so a
 * guest that maps the boot device's page reaches it too. Registers, 32-bit words at offsets from its start:
 * <ul>
 *   <li>{@code 0x00} READY (write): the guest is at its clone ready point. In the template VM the write asks the
 *       VMM to capture the VM right there ({@code onReady}); the template never runs on. In a clone it was done
 *       already (the clone resumes after the store) and further writes are ignored.</li>
 *   <li>{@code 0x04} CLONE (read): this clone's number.</li>
 *   <li>{@code 0x08} TIME_SEC, {@code 0x0c} TIME_NSEC (read): the host's wall clock, latched when TIME_SEC is read,
 *       so the guest's clock, frozen in the template, is set to now.</li>
 *   <li>{@code 0x20..0x3f} ENTROPY (read): 32 bytes of this clone's own entropy, for the guest's random-number
 *       generator, which every clone would otherwise continue from the template's state.</li>
 * </ul>
 * Every other read returns zeros; a VM that is neither template nor clone has the device with nothing to tell.
 */
public final class CloneIdentityDevice implements Device
{
    /** Where the device starts inside the boot device's window, and how long it is (the rest of the window). */
    public static final int OFFSET_IN_BOOT_WINDOW = 0x800;
    public static final int LENGTH = BootCompleteDevice.LENGTH - OFFSET_IN_BOOT_WINDOW;
    public static final int ENTROPY_BYTES = 32;

    static final int READY = 0x00;
    static final int CLONE = 0x04;
    static final int TIME_SEC = 0x08;
    static final int TIME_NSEC = 0x0c;
    static final int ENTROPY = 0x20;
    private static final int REGISTERS = ENTROPY + ENTROPY_BYTES;

    /** What one clone is told: its number and its entropy. */
    public record Identity(long cloneNumber, byte[] entropy)
    {
        public Identity
        {
            Objects.requireNonNull(entropy, "entropy");
            if (entropy.length != ENTROPY_BYTES)
            {
                throw new IllegalArgumentException("a clone's entropy is " + ENTROPY_BYTES + " bytes: got " + entropy.length);
            }
            entropy = entropy.clone();
        }
    }

    private final Runnable onReady;
    /** The register file as the guest reads it; only the time words change, when TIME_SEC is read. */
    private final UnsafeBuffer registers = new UnsafeBuffer(new byte[REGISTERS]);
    private boolean readySignalled;
    private long ignoredWrites;

    private CloneIdentityDevice(final Runnable onReady, final Identity identity)
    {
        this.onReady = onReady;
        if (identity != null)
        {
            registers.putInt(CLONE, (int)identity.cloneNumber());
            registers.putBytes(ENTROPY, identity.entropy());
        }
    }

    /** For a VM that is not part of cloning: reads are zeros, writes are ignored. */
    public static CloneIdentityDevice none()
    {
        return new CloneIdentityDevice(null, null);
    }

    /** For the template VM: {@code onReady} runs once, on the vCPU thread, when the guest writes READY. */
    public static CloneIdentityDevice template(final Runnable onReady)
    {
        return new CloneIdentityDevice(Objects.requireNonNull(onReady, "onReady"), null);
    }

    /** For a clone: tells the guest {@code identity}. */
    public static CloneIdentityDevice clone(final Identity identity)
    {
        return new CloneIdentityDevice(null, Objects.requireNonNull(identity, "identity"));
    }

    @Override
    public String name()
    {
        return "clone-identity";
    }

    @Override
    public synchronized void read(final long offset, final MutableDirectBuffer data, final int index, final int length)
    {
        if (length <= 0)
        {
            return;
        }
        data.setMemory(index, length, (byte)0);
        if (offset == TIME_SEC)
        {
            final Instant now = Instant.now();
            registers.putInt(TIME_SEC, (int)now.getEpochSecond());
            registers.putInt(TIME_NSEC, now.getNano());
        }
        if (offset >= 0 && offset < REGISTERS)
        {
            data.putBytes(index, registers, (int)offset, (int)Math.min(length, REGISTERS - offset));
        }
    }

    @Override
    public synchronized void write(final long offset, final DirectBuffer data, final int index, final int length)
    {
        if (offset != READY || onReady == null || readySignalled)
        {
            ignoredWrites++;
            return;
        }
        readySignalled = true;
        onReady.run();
    }

    /** Whether the template's guest has reached its ready point. */
    public synchronized boolean readySignalled()
    {
        return readySignalled;
    }

    public synchronized long ignoredWrites()
    {
        return ignoredWrites;
    }
}
