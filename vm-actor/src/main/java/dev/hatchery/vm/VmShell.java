package dev.hatchery.vm;

import java.util.Objects;

import dev.hatchery.config.HugePages;
import dev.hatchery.config.MemoryMode;
import dev.hatchery.config.VmSpec;
import dev.hatchery.kernel.BootLayout;
import dev.hatchery.kernel.PreparedKernel;
import dev.hatchery.kvm.GuestMemory;
import dev.hatchery.kvm.Kvm;
import dev.hatchery.kvm.KvmVm;

/**
 * A VM before its vCPU: guest RAM and the KVM-wide setup over it (VM fd, TSS, irqchip, PIT, memory slot 0).
 * None of that depends on the request, so a {@link ShellPool} makes shells ahead ({@link #create}), and lays the
 * kernel into them there too: the template mapped over the registered range and the boot structures' pages
 * made private. A spawn then only creates the vCPU. Both steps change this process's address space, and in one
 * process every KVM VM listens to such changes (its MMU notifier), so they cost more the more VMs are alive:
 * done ahead, that cost stays off the spawn path. Owns memory and VM; closing destroys the VM before unmapping
 * its memory, the order KVM needs.
 */
final class VmShell implements AutoCloseable
{
    /** What a shell is made for: RAM size and backing, and the kernel laid into it the way the spec asks. */
    record Shape(long ramSize, HugePages hugePages, PreparedKernel kernel, MemoryMode memoryMode)
    {
        Shape
        {
            Objects.requireNonNull(hugePages, "hugePages");
            Objects.requireNonNull(kernel, "kernel");
            Objects.requireNonNull(memoryMode, "memoryMode");
        }

        static Shape of(final VmSpec spec, final PreparedKernel kernel)
        {
            return new Shape(spec.memBytes(), spec.hugePages(), kernel, spec.memoryMode());
        }

        @Override
        public String toString()
        {
            return "ram_bytes=" + ramSize + " huge_pages=" + hugePages + " memory=" + memoryMode + " kernel_entry=0x" + Long.toHexString(kernel.entry());
        }
    }

    private final GuestMemory memory;
    private final KvmVm kvmVm;

    private VmShell(final GuestMemory memory, final KvmVm kvmVm)
    {
        this.memory = memory;
        this.kvmVm = kvmVm;
    }

    /**
     * Fresh RAM, the VM over it, then the kernel laid in: the template mapped over memory KVM has registered
     * already (KVM drops the old pages from its view through its MMU notifier and faults the template's in at first
     * guest access; copy-on-write keeps each guest's writes its own), and the first-written pages made private.
     */
    static VmShell create(final Kvm kvm, final Shape shape)
    {
        final VmShell shell = over(kvm, GuestMemory.anonymous(shape.ramSize(), shape.hugePages()));
        try
        {
            shape.kernel().load(shell.memory, shape.memoryMode());
            shape.kernel().prefaultFirstWrittenPages(shell.memory);
            return shell;
        }
        catch (final RuntimeException ex)
        {
            shell.close();
            throw ex;
        }
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
