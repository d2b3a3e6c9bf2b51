package dev.hatchery.devices;

import java.time.Instant;
import java.util.Objects;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * Where a cloned guest learns who it is. It shares the boot-complete device's 4 KiB window (0x800..0xbff), so a
 * guest that maps the boot device's page reaches it too. Registers, 32-bit words at offsets from its start:
 * <ul>
 *   <li>{@code 0x00} READY (write): the guest is at its clone ready point. In the template VM the write asks the
 *       VMM to capture the VM right there ({@code onReady}); the template never runs on. In a clone it was done
 *       already (the clone resumes after the store) and further writes are ignored.</li>
 *   <li>{@code 0x04} CLONE (read): this clone's number.</li>
 *   <li>{@code 0x08} TIME_SEC, {@code 0x0c} TIME_NSEC (read): the host's wall clock, latched when TIME_SEC is read,
 *       so the guest's clock, frozen in the template, is set to now.</li>
 *   <li>{@code 0x10} NET_FLAGS (read): 1 when the clone has a network of its own (the rest of the network block is
 *       then valid), else 0.</li>
 *   <li>{@code 0x14} IPV4, {@code 0x18} NETMASK, {@code 0x1c} PEER (read): the clone's IPv4 address, its netmask and
 *       the host end of its tap, each four bytes in network order, as the guest stores them.</li>
 *   <li>{@code 0x20..0x3f} ENTROPY (read): 32 bytes of this clone's own entropy, for the guest's random-number
 *       generator, which every clone would otherwise continue from the template's state.</li>
 *   <li>{@code 0x40..0x45} MAC (read): the clone's MAC address, six bytes.</li>
 * </ul>
 * Every other read returns zeros; a VM that is neither template nor clone has the device with nothing to tell.
 */
public final class CloneIdentityDevice implements Device
{
    /** Where the device starts inside the boot device's window, and how long it is (the rest of the window). */
    public static final int OFFSET_IN_BOOT_WINDOW = 0x800;
    /** Up to the function mailbox's register, which takes the window's last quarter. */
    public static final int LENGTH = FunctionMailboxDevice.OFFSET_IN_BOOT_WINDOW - OFFSET_IN_BOOT_WINDOW;
    public static final int ENTROPY_BYTES = 32;

    static final int READY = 0x00;
    static final int CLONE = 0x04;
    static final int TIME_SEC = 0x08;
    static final int TIME_NSEC = 0x0c;
    static final int NET_FLAGS = 0x10;
    static final int IPV4 = 0x14;
    static final int NETMASK = 0x18;
    static final int PEER = 0x1c;
    static final int ENTROPY = 0x20;
    static final int MAC = 0x40;
    private static final int MAC_BYTES = 6;
    private static final int REGISTERS = MAC + 8;

    /** A clone's own network: its address, netmask and the host's end of its tap (4 bytes each), and its MAC. */
    public record Network(byte[] ipv4, byte[] netmask, byte[] peer, byte[] mac)
    {
        public Network
        {
            ipv4 = exactly(ipv4, 4, "IPv4 address");
            netmask = exactly(netmask, 4, "netmask");
            peer = exactly(peer, 4, "peer address");
            mac = exactly(mac, MAC_BYTES, "MAC");
        }
    }

    /** What one clone is told: its number, its entropy and, when it has one, its network (else null). */
    public record Identity(long cloneNumber, byte[] entropy, Network network)
    {
        public Identity
        {
            entropy = exactly(entropy, ENTROPY_BYTES, "entropy");
        }

        public Identity(final long cloneNumber, final byte[] entropy)
        {
            this(cloneNumber, entropy, null);
        }
    }

    private static byte[] exactly(final byte[] bytes, final int length, final String what)
    {
        Objects.requireNonNull(bytes, what);
        if (bytes.length != length)
        {
            throw new IllegalArgumentException("a clone's " + what + " is " + length + " bytes: got " + bytes.length);
        }
        return bytes.clone();
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
            final Network network = identity.network();
            if (network != null)
            {
                registers.putInt(NET_FLAGS, 1);
                registers.putBytes(IPV4, network.ipv4());
                registers.putBytes(NETMASK, network.netmask());
                registers.putBytes(PEER, network.peer());
                registers.putBytes(MAC, network.mac());
            }
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
