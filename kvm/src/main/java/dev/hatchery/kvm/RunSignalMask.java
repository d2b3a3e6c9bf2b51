package dev.hatchery.kvm;

/**
 * struct kvm_signal_mask: the signal mask a vCPU thread runs KVM_RUN with ({@link KvmVcpu#setSignalMask}).
 * Made once per vCPU thread by {@link VcpuKick#blockOnCurrentThread()} and reused for every vCPU that
 * thread runs; KVM only reads it.
 */
public final class RunSignalMask extends NativeStruct
{
    /** The header (__u32 len) before the mask bytes. */
    static final int HEADER_LENGTH = 4;
    /** KVM checks len against the kernel's sigset_t: 64 signals, 8 bytes on x86-64. */
    static final int KERNEL_SIGSET_LENGTH = 8;

    RunSignalMask(final long kernelSigset)
    {
        super(HEADER_LENGTH + KERNEL_SIGSET_LENGTH);
        buffer.putInt(0, KERNEL_SIGSET_LENGTH);
        buffer.putLong(HEADER_LENGTH, kernelSigset);
    }

    long sigset()
    {
        return buffer.getLong(HEADER_LENGTH);
    }
}
