package dev.hatchery.kvm;

/** The KVM_CAP_* extensions Hatchery relies on, checked once when /dev/kvm is opened. */
public enum KvmCapability
{
    KVM_CAP_IRQCHIP(0),
    KVM_CAP_USER_MEMORY(3),
    KVM_CAP_SET_TSS_ADDR(4),
    KVM_CAP_EXT_CPUID(7),
    KVM_CAP_IRQFD(0x20),
    KVM_CAP_PIT2(0x21),
    KVM_CAP_IOEVENTFD(0x24),
    /** KVM's in-kernel local APIC emulates the TSC-deadline timer (BootCpu offers it to guests). */
    KVM_CAP_TSC_DEADLINE_TIMER(72),
    KVM_CAP_IMMEDIATE_EXIT(0x88);

    private final int number;

    KvmCapability(final int number)
    {
        this.number = number;
    }

    public int number()
    {
        return number;
    }
}
