package dev.hatchery.kvm;

/**
 * A VM's kvmclock (KVM_GET_CLOCK / KVM_SET_CLOCK): the nanosecond count a paravirtual guest's clock reads from.
 * Captured from a paused VM and set into another, the second guest's clock carries on from where the first one's
 * stood, rather than jumping to the new VM's age (a few milliseconds), which would run it backwards. Set plainly:
 * the flags KVM returns (realtime and host-TSC stamps) are cleared, so no host time elapsed since the capture is
 * added in. Immutable once captured: {@link #restore} only reads it, from any number of threads.
 */
public final class GuestClock
{
    // Size and layout (linux/kvm.h, x86-64) pinned against this machine's headers by NativeLayoutTest.
    static final int CLOCK_DATA_SIZE = 48;
    static final int FLAGS_OFFSET = 8;

    private final NativeBlock data = new NativeBlock("CLOCK", CLOCK_DATA_SIZE, KvmIoctls.KVM_GET_CLOCK, KvmIoctls.KVM_SET_CLOCK);

    private GuestClock()
    {
    }

    static GuestClock capture(final KvmVm vm)
    {
        final GuestClock clock = new GuestClock();
        clock.data.get(vm.fd());
        clock.data.putInt(FLAGS_OFFSET, 0);
        return clock;
    }

    /** The captured clock in nanoseconds. */
    public long nanos()
    {
        return data.buffer.getLong(0);
    }

    /** Sets {@code vm}'s kvmclock to the captured value; the VM's vCPUs must not be running. */
    public void restore(final KvmVm vm)
    {
        data.set(vm.fd());
    }
}
