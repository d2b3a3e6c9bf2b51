package dev.hatchery.vm;

import java.util.Locale;
import java.util.Objects;

/**
 * How networked VMs are served: which event loop waits on their taps and queue ioeventfds, and whether
 * virtio-net offers checksum/TSO offloads. Set on the {@link VmHost} before the first networked VM.
 *
 * @param loop        {@link Loop#SHARED}: a few loop threads owned by the host serve every VM;
 *                    {@link Loop#PER_VM}: each VM starts and stops its own loop thread.
 * @param sharedLoops how many shared loop threads (VMs go to the least busy one); ignored per VM.
 * @param offloads    offer VIRTIO_NET_F_CSUM/GUEST_CSUM and the TSO features; the tap is then told
 *                    (TUNSETOFFLOAD) which of them the guest accepted.
 */
public record NetSettings(Loop loop, int sharedLoops, boolean offloads)
{
    /** The event-loop arrangement; {@link #configName()} is how application.conf spells it. */
    public enum Loop
    {
        SHARED("shared"),
        PER_VM("per-vm");

        private final String configName;

        Loop(final String configName)
        {
            this.configName = configName;
        }

        public String configName()
        {
            return configName;
        }

        /** "shared" or "per-vm" (case-insensitive); anything else fails with the values allowed. */
        public static Loop parse(final String value)
        {
            for (final Loop loop : values())
            {
                if (loop.configName.equals(value.trim().toLowerCase(Locale.ROOT)))
                {
                    return loop;
                }
            }
            throw new IllegalArgumentException("invalid network event loop: loop=" + value + ": use shared or per-vm");
        }
    }

    /** At most this many shared loop threads: each is one epoll thread, and a handful saturate a host's taps. */
    public static final int MAX_SHARED_LOOPS = 64;

    /** The default from the lab measurement in README "Networking": four shared loops, offloads on. */
    public static NetSettings defaults()
    {
        return new NetSettings(Loop.SHARED, 4, true);
    }

    public NetSettings
    {
        Objects.requireNonNull(loop, "loop");
        if (sharedLoops < 1 || sharedLoops > MAX_SHARED_LOOPS)
        {
            throw new IllegalArgumentException("invalid number of shared network loops: shared-loops=" + sharedLoops
                + ": use 1 to " + MAX_SHARED_LOOPS);
        }
    }

    public NetSettings withLoop(final Loop newLoop)
    {
        return new NetSettings(newLoop, sharedLoops, offloads);
    }

    public NetSettings withOffloads(final boolean newOffloads)
    {
        return new NetSettings(loop, sharedLoops, newOffloads);
    }

    @Override
    public String toString()
    {
        return "loop=" + loop.configName() + (loop == Loop.SHARED ? " shared_loops=" + sharedLoops : "") + " offloads=" + offloads;
    }
}
