package dev.hatchery.kvm;

/**
 * The state of a VM's in-kernel interrupt controllers and timer (KVM_CREATE_IRQCHIP, KVM_CREATE_PIT2): both PICs,
 * the IOAPIC and the PIT, captured from a VM and written back whole into one of the same kind. A guest programs
 * all of them (masks, vectors, timer mode); a VM made ready for a new guest gets them back as they were before the
 * first guest ran. Immutable once captured: {@link #restore} only reads it, from any number of threads.
 */
public final class ChipState
{
    // Sizes and chip ids (linux/kvm.h, x86-64) pinned against this machine's headers by NativeLayoutTest.
    static final int IRQCHIP_SIZE = 520;
    static final int PIT_STATE2_SIZE = 112;
    static final int KVM_IRQCHIP_PIC_MASTER = 0;
    static final int KVM_IRQCHIP_PIC_SLAVE = 1;
    static final int KVM_IRQCHIP_IOAPIC = 2;
    private static final int[] CHIPS = {KVM_IRQCHIP_PIC_MASTER, KVM_IRQCHIP_PIC_SLAVE, KVM_IRQCHIP_IOAPIC};

    private final NativeBlock[] chips = new NativeBlock[CHIPS.length];
    private final NativeBlock pit = new NativeBlock("PIT2", PIT_STATE2_SIZE, KvmIoctls.KVM_GET_PIT2, KvmIoctls.KVM_SET_PIT2);

    private ChipState()
    {
        for (int i = 0; i < CHIPS.length; i++)
        {
            chips[i] = new NativeBlock("IRQCHIP", IRQCHIP_SIZE, KvmIoctls.KVM_GET_IRQCHIP, KvmIoctls.KVM_SET_IRQCHIP).selector(CHIPS[i]);
        }
    }

    static ChipState capture(final KvmVm vm)
    {
        final ChipState state = new ChipState();
        for (int i = 0; i < CHIPS.length; i++)
        {
            state.chips[i].get(vm.fd(), "chip", CHIPS[i]);
        }
        state.pit.get(vm.fd());
        return state;
    }

    /** Writes the captured PICs, IOAPIC and PIT into {@code vm}; fails on the first ioctl KVM refuses. */
    public void restore(final KvmVm vm)
    {
        for (int i = 0; i < CHIPS.length; i++)
        {
            chips[i].set(vm.fd(), "chip", CHIPS[i]);
        }
        pit.set(vm.fd());
    }
}
