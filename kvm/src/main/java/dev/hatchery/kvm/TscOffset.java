package dev.hatchery.kvm;

/**
 * A vCPU's TSC offset (guest TSC = host TSC + offset), read and set through the vCPU's device attributes
 * (KVM_VCPU_TSC_CTRL / KVM_VCPU_TSC_OFFSET). Setting the TSC through the IA32_TSC MSR instead goes through KVM's
 * TSC synchronisation heuristics: a host write within a second of what KVM expects is taken as "keep the VM's TSCs in
 * step", and the value written is then ignored. Restoring a captured guest sets the offset, so its TSC is exactly what
 * was captured. One struct per call: used on the thread that restores the vCPU.
 */
final class TscOffset extends NativeStruct
{
    // Layout and numbers (linux/kvm.h, asm/kvm.h, x86-64) pinned against this machine's headers by NativeLayoutTest.
    static final int DEVICE_ATTR_SIZE = 24;
    static final int GROUP_OFFSET = 4;
    static final int ATTR_OFFSET = 8;
    static final int ADDR_OFFSET = 16;
    static final int KVM_VCPU_TSC_CTRL = 0;
    static final int KVM_VCPU_TSC_OFFSET = 0;
    /** The u64 the attribute reads into or writes from, right after the struct. */
    private static final int VALUE_OFFSET = DEVICE_ATTR_SIZE;

    TscOffset()
    {
        super(DEVICE_ATTR_SIZE + Long.BYTES);
        buffer.putInt(GROUP_OFFSET, KVM_VCPU_TSC_CTRL);
        buffer.putLong(ATTR_OFFSET, KVM_VCPU_TSC_OFFSET);
        buffer.putLong(ADDR_OFFSET, address() + VALUE_OFFSET);
    }

    /** Whether this kernel lets the TSC offset be set directly (KVM_HAS_DEVICE_ATTR). */
    boolean supported(final int vcpuFd)
    {
        try
        {
            Syscalls.ioctl(vcpuFd, KvmIoctls.KVM_HAS_DEVICE_ATTR, address(), "KVM_HAS_DEVICE_ATTR");
            return true;
        }
        catch (final NativeCallException ex)
        {
            return false;
        }
    }

    long get(final int vcpuFd, final int vcpuId)
    {
        Syscalls.ioctl(vcpuFd, KvmIoctls.KVM_GET_DEVICE_ATTR, address(), "KVM_GET_DEVICE_ATTR(TSC_OFFSET)", "vcpu", vcpuId);
        return buffer.getLong(VALUE_OFFSET);
    }

    void set(final int vcpuFd, final int vcpuId, final long offset)
    {
        buffer.putLong(VALUE_OFFSET, offset);
        Syscalls.ioctl(vcpuFd, KvmIoctls.KVM_SET_DEVICE_ATTR, address(), "KVM_SET_DEVICE_ATTR(TSC_OFFSET)", "vcpu", vcpuId, "offset", offset);
    }
}
