package dev.hatchery.vm;

import java.util.Objects;

import dev.hatchery.config.HugePages;
import dev.hatchery.config.MemoryMode;
import dev.hatchery.config.VmSpec;
import dev.hatchery.kernel.BootLayout;
import dev.hatchery.kernel.PreparedKernel;
import dev.hatchery.kvm.GuestMemory;
import dev.hatchery.kvm.Kvm;
import dev.hatchery.kvm.KvmVcpu;
import dev.hatchery.kvm.KvmVm;

/**
 * A VM before its guest runs: guest RAM, the KVM-wide setup over it (VM fd, TSS, irqchip, PIT, memory slot 0) and
 * vCPU 0 in its boot state. None of that depends on the request, so a {@link ShellPool} makes shells ahead
 * ({@link #create}), with the kernel laid in too: the template mapped over the registered range and the boot
 * structures' pages made private. A spawn then only starts the vCPU. Making a shell changes this process's address
 * space, and in one process every KVM VM listens to such changes (its MMU notifier), so it costs more the more VMs
 * are alive: done ahead, that cost stays off the spawn path. A shell whose VM ended can be {@link #reset} to the
 * state of a fresh one and used again ({@link ShellRecycler}). Owns memory, VM and vCPU; closing destroys the VM
 * before unmapping its memory, the order KVM needs.
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

    private final Shape shape;
    private final GuestMemory memory;
    private final KvmVm kvmVm;
    /** Null until {@link #armVcpu}; a shell from the pool has it already. */
    private KvmVcpu vcpu;
    /** Reset after an earlier VM ended in it, rather than made fresh. */
    private boolean recycled;
    /** Its RAM maps a clone template's memory, not the kernel's: a reset must lay the kernel in again. */
    private boolean holdsClone;

    private VmShell(final Shape shape, final GuestMemory memory, final KvmVm kvmVm)
    {
        this.shape = shape;
        this.memory = memory;
        this.kvmVm = kvmVm;
    }

    /**
     * Fresh RAM, the VM over it, the kernel laid in and vCPU 0 in its boot state: the template mapped over memory
     * KVM has registered already (KVM drops the old pages from its view through its MMU notifier and faults the
     * template's in at first guest access; copy-on-write keeps each guest's writes its own), and the first-written
     * pages made private.
     */
    static VmShell create(final Kvm kvm, final Shape shape, final BootCpu bootCpu)
    {
        final VmShell shell = over(kvm, shape, GuestMemory.anonymous(shape.ramSize(), shape.hugePages()));
        try
        {
            shape.kernel().load(shell.memory, shape.memoryMode());
            shape.kernel().prefaultFirstWrittenPages(shell.memory);
            shell.armVcpu(bootCpu);
            return shell;
        }
        catch (final RuntimeException ex)
        {
            shell.close();
            throw ex;
        }
    }

    /** The VM over {@code memory}, which the shell then owns (closed here too if the VM cannot be made); no vCPU yet. */
    static VmShell over(final Kvm kvm, final Shape shape, final GuestMemory memory)
    {
        KvmVm kvmVm = null;
        try
        {
            kvmVm = kvm.createVm();
            kvmVm.setTssAddr(BootLayout.TSS_ADDRESS);
            kvmVm.createIrqchip();
            kvmVm.createPit2(KvmVm.KVM_PIT_SPEAKER_DUMMY);
            kvmVm.setUserMemoryRegion(0, 0, memory.size(), memory.hostAddress());
            return new VmShell(shape, memory, kvmVm);
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

    /** Creates vCPU 0 and puts it in the boot state for this shape's kernel (closed with the shell). */
    void armVcpu(final BootCpu bootCpu)
    {
        if (vcpu != null)
        {
            throw new IllegalStateException("shell has its vCPU already");
        }
        vcpu = kvmVm.createVcpu(0);
        bootCpu.apply(vcpu, shape.kernel().entry());
    }

    /**
     * Makes this shell a clone of {@code image}: its RAM maps the image's memory copy-on-write, then vCPU 0 (created
     * here with the boot CPUID, which the template ran with, unless the shell has it already), the kvmclock and the
     * interrupt controllers and PIT take the captured state whole.
     */
    void restoreClone(final BootCpu bootCpu, final CloneImage image)
    {
        // The whole RAM: the template's memory covers all of it (its zero pages are holes in the file).
        memory.mapTemplate(image.memory());
        holdsClone = true;
        if (vcpu == null)
        {
            vcpu = kvmVm.createVcpu(0);
            bootCpu.applyCpuid(vcpu);
        }
        // A shell's vCPU has the boot state (and the boot CPUID, which the template ran with too): all of it is replaced.
        vcpu.kvmRun().immediateExit(false);
        // The vCPU first (its TSC is set exactly as captured), then the kvmclock right after it: the guest checks one
        // clock against the other, and each starts running from its captured value when it is set.
        image.vcpu().restore(vcpu);
        image.clock().restore(kvmVm);
        image.chips().restore(kvmVm);
    }

    /**
     * Makes this shell, whose VM has ended, like a fresh one: vCPU and interrupt controllers back in the state a
     * fresh shell's had ({@code pristine}, captured from one), the vCPU at this shape's kernel entry, then every
     * page the guest wrote dropped, so the memory reads as the template (or zeros) again, the kernel copied in again
     * where the shape copies it, and the first-written pages made private as {@link #create} does. The state goes
     * first, so that nothing KVM writes into guest memory for the old guest (its clock page) survives the reset.
     * Fails on the first step KVM or the kernel refuses; the shell must then be closed.
     */
    void reset(final ShellRecycler.Pristine pristine, final BootCpu bootCpu)
    {
        pristine.chips().restore(kvmVm);
        pristine.vcpu().restore(vcpu);
        bootCpu.enter(vcpu, shape.kernel().entry());
        vcpu.kvmRun().immediateExit(false);
        if (holdsClone)
        {
            memory.replaceWithAnonymous();
            shape.kernel().load(memory, shape.memoryMode());
            holdsClone = false;
        }
        else
        {
            memory.discard();
            if (shape.memoryMode() == MemoryMode.COPY)
            {
                shape.kernel().load(memory, MemoryMode.COPY);
            }
        }
        shape.kernel().prefaultFirstWrittenPages(memory);
        recycled = true;
    }

    Shape shape()
    {
        return shape;
    }

    GuestMemory memory()
    {
        return memory;
    }

    KvmVm kvmVm()
    {
        return kvmVm;
    }

    KvmVcpu vcpu()
    {
        return vcpu;
    }

    boolean recycled()
    {
        return recycled;
    }

    @Override
    public void close()
    {
        try
        {
            if (vcpu != null)
            {
                vcpu.close();
            }
            kvmVm.close();
        }
        finally
        {
            memory.close();
        }
    }
}
