package dev.hatchery.vm;

/**
 * Where a networked VM is reached: its tap, the host's address on it and the guest's.
 *
 * @param networkLost why the VMM stopped moving this VM's frames (its event-loop handler failed, or its loop died),
 *                    or null while its network is served
 */
public record VmAddress(String tap, String hostAddress, String guestAddress, int prefixLength, String networkLost)
{
    static VmAddress of(final TapLease lease, final String networkLost)
    {
        return new VmAddress(lease.tapName(), lease.hostAddress().getHostAddress(), lease.guestAddress().getHostAddress(),
            lease.prefixLength(), networkLost);
    }
}
