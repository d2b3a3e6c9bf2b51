package dev.hatchery.vm;

import dev.hatchery.config.HugePages;
import dev.hatchery.kernel.BootLayout;
import dev.hatchery.kvm.GuestMemory;
import dev.hatchery.kvm.Kvm;
import dev.hatchery.kvm.KvmVm;

/**
 * A VM before its vCPU: guest RAM and the KVM-wide setup over it (VM fd, TSS, irqchip, PIT, memory slot 0).
 * None of that depends on the request, so a {@link ShellPool} makes shells ahead; a spawn lays its kernel
 * into {@link #memory()} (mapping the template over the registered range) and creates the vCPU. Owns both;
 * closing destroys the VM before unmapping its memory, the order KVM needs.
 */
final class VmShell implements AutoCloseable
{
    private final GuestMemory memory;
    private final KvmVm kvmVm;

    private VmShell(final GuestMemory memory, final KvmVm kvmVm)
    {
        this.memory = memory;
        this.kvmVm = kvmVm;
    }

    /** Fresh RAM (nothing touched) of {@code ramSize} bytes, then the VM over it. */
    static VmShell create(final Kvm kvm, final long ramSize, final HugePages hugePages)
    {
        return over(kvm, GuestMemory.anonymous(ramSize, hugePages));
    }

    /** The VM over {@code memory}, which the shell then owns (closed here too if the VM cannot be made). */
    static VmShell over(final Kvm kvm, final GuestMemory memory)
    {
        KvmVm kvmVm = null;
        try
        {
            kvmVm = kvm.createVm();
            kvmVm.setTssAddr(BootLayout.TSS_ADDRESS);
            kvmVm.createIrqchip();
            kvmVm.createPit2(KvmVm.KVM_PIT_SPEAKER_DUMMY);
            kvmVm.setUserMemoryRegion(0, 0, memory.size(), memory.hostAddress());
            return new VmShell(memory, kvmVm);
        }
        catch (final RuntimeException ex)
        {
            if (kvmVm != null)
            {
                kvmVm.close();
            }
            memory.close();
            throw ex;
        }
    }

    GuestMemory memory()
    {
        return memory;
    }

    KvmVm kvmVm()
    {
        return kvmVm;
    }

    @Override
    public void close()
    {
        try
        {
            kvmVm.close();
        }
        finally
        {
            memory.close();
        }
    }
}
