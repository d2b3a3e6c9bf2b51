package dev.hatchery.kvm;

/** Request numbers from {@code linux/kvm.h} (x86-64), pinned against this machine's header by NativeLayoutTest. */
final class KvmIoctls
{
    static final long KVM_GET_API_VERSION = 0xae00L;
    static final long KVM_CREATE_VM = 0xae01L;
    static final long KVM_CHECK_EXTENSION = 0xae03L;
    static final long KVM_GET_VCPU_MMAP_SIZE = 0xae04L;
    static final long KVM_GET_SUPPORTED_CPUID = 0xc008ae05L;
    static final long KVM_GET_MSR_INDEX_LIST = 0xc004ae02L;

    static final long KVM_CREATE_VCPU = 0xae41L;
    static final long KVM_SET_USER_MEMORY_REGION = 0x4020ae46L;
    static final long KVM_SET_TSS_ADDR = 0xae47L;
    static final long KVM_SET_IDENTITY_MAP_ADDR = 0x4008ae48L;
    static final long KVM_CREATE_IRQCHIP = 0xae60L;
    static final long KVM_IRQ_LINE = 0x4008ae61L;
    static final long KVM_IRQFD = 0x4020ae76L;
    static final long KVM_CREATE_PIT2 = 0x4040ae77L;
    static final long KVM_IOEVENTFD = 0x4040ae79L;
    static final long KVM_GET_IRQCHIP = 0xc208ae62L;
    static final long KVM_SET_IRQCHIP = 0x8208ae63L;
    static final long KVM_GET_PIT2 = 0x8070ae9fL;
    static final long KVM_SET_PIT2 = 0x4070aea0L;
    static final long KVM_SET_CLOCK = 0x4030ae7bL;
    static final long KVM_GET_CLOCK = 0x8030ae7cL;
    static final long KVM_SET_DEVICE_ATTR = 0x4018aee1L;
    static final long KVM_GET_DEVICE_ATTR = 0x4018aee2L;
    static final long KVM_HAS_DEVICE_ATTR = 0x4018aee3L;

    static final long KVM_RUN = 0xae80L;
    static final long KVM_GET_REGS = 0x8090ae81L;
    static final long KVM_SET_REGS = 0x4090ae82L;
    static final long KVM_GET_SREGS = 0x8138ae83L;
    static final long KVM_SET_SREGS = 0x4138ae84L;
    static final long KVM_GET_MSRS = 0xc008ae88L;
    static final long KVM_SET_MSRS = 0x4008ae89L;
    static final long KVM_SET_FPU = 0x41a0ae8dL;
    static final long KVM_GET_LAPIC = 0x8400ae8eL;
    static final long KVM_SET_LAPIC = 0x4400ae8fL;
    static final long KVM_SET_CPUID2 = 0x4008ae90L;
    static final long KVM_SET_SIGNAL_MASK = 0x4004ae8bL;
    static final long KVM_GET_MP_STATE = 0x8004ae98L;
    static final long KVM_SET_MP_STATE = 0x4004ae99L;
    static final long KVM_GET_VCPU_EVENTS = 0x8040ae9fL;
    static final long KVM_SET_VCPU_EVENTS = 0x4040aea0L;
    static final long KVM_GET_DEBUGREGS = 0x8080aea1L;
    static final long KVM_SET_DEBUGREGS = 0x4080aea2L;
    static final long KVM_GET_XSAVE = 0x9000aea4L;
    static final long KVM_SET_XSAVE = 0x5000aea5L;
    static final long KVM_GET_XCRS = 0x8188aea6L;
    static final long KVM_SET_XCRS = 0x4188aea7L;

    private KvmIoctls()
    {
    }
}
