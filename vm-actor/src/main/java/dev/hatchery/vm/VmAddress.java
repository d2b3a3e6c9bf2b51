package dev.hatchery.vm;

/** Where a networked VM is reached: its tap, the host's address on it and the guest's. */
public record VmAddress(String tap, String hostAddress, String guestAddress, int prefixLength)
{
    static VmAddress of(final TapLease lease)
    {
        return new VmAddress(lease.tapName(), lease.hostAddress().getHostAddress(), lease.guestAddress().getHostAddress(),
            lease.prefixLength());
    }
}
