package dev.hatchery.vm;

import dev.hatchery.kernel.BootLayout;
import dev.hatchery.kvm.Cpuid;
import dev.hatchery.kvm.Fpu;
import dev.hatchery.kvm.Kvm;
import dev.hatchery.kvm.KvmVcpu;
import dev.hatchery.kvm.Lapic;
import dev.hatchery.kvm.Msrs;
import dev.hatchery.kvm.Regs;
import dev.hatchery.kvm.SpecialRegs;

/**
 * The vCPU state the 64-bit Linux boot protocol expects at entry (x86-boot.md). Every VM's vCPU 0 starts
 * in the same state, so the structs are built once per process (registers once per kernel entry point) and
 * only read by each VM's ioctls: the special registers and LAPIC are derived from the first fresh vCPU's
 * reset state, which KVM gives every new vCPU 0 alike, so later vCPUs need no KVM_GET_SREGS or KVM_GET_LAPIC.
 */
public final class BootCpu
{
    private static final int CPUID_FEATURES_LEAF = 1;
    private static final int CPUID_HYPERVISOR_BIT = 1 << 31;
    /**
     * KVM_GET_SUPPORTED_CPUID leaves out the TSC-deadline timer because KVM emulates it (KVM_CAP_TSC_DEADLINE_TIMER,
     * required when /dev/kvm opens), so it is offered here. Without it Linux calibrates its APIC timer at boot by
     * spinning until PIT ticks arrive: a wasted tenth of a second per boot, and, under nested KVM in QEMU's emulator,
     * the spin never let the lab's own timer interrupt through, so the whole lab stalled (lab/README.md, "Stalls").
     */
    private static final int CPUID_TSC_DEADLINE_BIT = 1 << 24;

    private static final int MSR_IA32_TSC = 0x10;
    private static final int MSR_IA32_SYSENTER_CS = 0x174;
    private static final int MSR_IA32_SYSENTER_ESP = 0x175;
    private static final int MSR_IA32_SYSENTER_EIP = 0x176;
    private static final int MSR_IA32_MISC_ENABLE = 0x1a0;
    private static final int MSR_MTRR_DEF_TYPE = 0x2ff;
    private static final int MSR_STAR = 0xc0000081;
    private static final int MSR_LSTAR = 0xc0000082;
    private static final int MSR_CSTAR = 0xc0000083;
    private static final int MSR_SYSCALL_MASK = 0xc0000084;
    private static final int MSR_KERNEL_GS_BASE = 0xc0000102;
    private static final long MISC_ENABLE_FAST_STRING = 1;
    private static final long MTRR_ENABLE_WRITEBACK_DEFAULT = (1L << 11) | 6;

    private static final long CR0_PE = 1;
    private static final long CR0_PG = 1L << 31;
    private static final long CR4_PAE = 1L << 5;
    private static final long EFER_LME = 1L << 8;
    private static final long EFER_LMA = 1L << 10;

    private static final int APIC_LVT_LINT0 = 0x350;
    private static final int APIC_LVT_LINT1 = 0x360;
    private static final int APIC_DELIVERY_MODE_MASK = 0x700;
    private static final int APIC_MODE_EXTINT = 0x7 << 8;
    private static final int APIC_MODE_NMI = 0x4 << 8;

    private final Cpuid cpuid;
    private final Msrs msrs;
    private final Fpu fpu;
    private final java.util.concurrent.ConcurrentHashMap<Long, Regs> regsByEntry = new java.util.concurrent.ConcurrentHashMap<>();
    /** Null until the first vCPU; then read-only. */
    private volatile SpecialRegs bootSregs;
    private volatile Lapic bootLapic;

    public BootCpu(final Kvm kvm)
    {
        cpuid = kvm.supportedCpuid();
        for (int i = 0; i < cpuid.entryCount(); i++)
        {
            if (cpuid.function(i) == CPUID_FEATURES_LEAF)
            {
                cpuid.set(i, Cpuid.Register.ECX, cpuid.get(i, Cpuid.Register.ECX) | CPUID_HYPERVISOR_BIT | CPUID_TSC_DEADLINE_BIT);
                // Initial APIC id of the only vCPU (id 0) in EBX[31:24].
                cpuid.set(i, Cpuid.Register.EBX, cpuid.get(i, Cpuid.Register.EBX) & 0x00ffffff);
            }
        }
        msrs = new Msrs(11)
            .add(MSR_IA32_SYSENTER_CS, 0).add(MSR_IA32_SYSENTER_ESP, 0).add(MSR_IA32_SYSENTER_EIP, 0)
            .add(MSR_STAR, 0).add(MSR_CSTAR, 0).add(MSR_KERNEL_GS_BASE, 0).add(MSR_SYSCALL_MASK, 0).add(MSR_LSTAR, 0)
            .add(MSR_IA32_TSC, 0).add(MSR_IA32_MISC_ENABLE, MISC_ENABLE_FAST_STRING).add(MSR_MTRR_DEF_TYPE, MTRR_ENABLE_WRITEBACK_DEFAULT);
        fpu = new Fpu().fcw(0x37f).mxcsr(0x1f80);
    }

    /** CPUID before MSRs and registers: KVM derives what the vCPU may do from its CPUID. */
    public void apply(final KvmVcpu vcpu, final long entry)
    {
        if (bootSregs == null)
        {
            deriveFromResetState(vcpu);
        }
        vcpu.setCpuid(cpuid);
        vcpu.setMsrs(msrs);
        vcpu.setRegs(regsByEntry.computeIfAbsent(entry, BootCpu::bootRegs));
        vcpu.setSregs(bootSregs);
        vcpu.setFpu(fpu);
        vcpu.setLapic(bootLapic);
    }

    /**
     * Only the CPUID of {@link #apply}: for a clone's fresh vCPU, whose every other state is then restored from its
     * template (which ran with this CPUID).
     */
    public void applyCpuid(final KvmVcpu vcpu)
    {
        vcpu.setCpuid(cpuid);
    }

    /** Only the registers of {@link #apply}: the entry state for a vCPU whose other state is the boot state already. */
    public void enter(final KvmVcpu vcpu, final long entry)
    {
        vcpu.setRegs(regsByEntry.computeIfAbsent(entry, BootCpu::bootRegs));
    }

    private static Regs bootRegs(final long entry)
    {
        return new Regs()
            .set(Regs.Reg.RIP, entry)
            .set(Regs.Reg.RSP, BootLayout.BOOT_STACK_POINTER)
            .set(Regs.Reg.RBP, BootLayout.BOOT_STACK_POINTER)
            .set(Regs.Reg.RSI, BootLayout.ZERO_PAGE_ADDRESS)
            .set(Regs.Reg.RFLAGS, 0x2);
    }

    /** The boot special registers and LAPIC: a fresh vCPU's reset state with what the boot protocol changes. */
    private synchronized void deriveFromResetState(final KvmVcpu fresh)
    {
        if (bootSregs != null)
        {
            return;
        }
        final SpecialRegs sregs = new SpecialRegs();
        fresh.getSregs(sregs);
        sregs.segmentFromDescriptor(SpecialRegs.Segment.CS, BootLayout.CODE_SELECTOR, BootLayout.GDT_CODE);
        for (final SpecialRegs.Segment data : new SpecialRegs.Segment[] {
            SpecialRegs.Segment.DS, SpecialRegs.Segment.ES, SpecialRegs.Segment.FS, SpecialRegs.Segment.GS, SpecialRegs.Segment.SS})
        {
            sregs.segmentFromDescriptor(data, BootLayout.DATA_SELECTOR, BootLayout.GDT_DATA);
        }
        sregs.segmentFromDescriptor(SpecialRegs.Segment.TR, BootLayout.TSS_SELECTOR, BootLayout.GDT_TSS);
        sregs.gdt(BootLayout.GDT_ADDRESS, BootLayout.GDT_LIMIT).idt(BootLayout.IDT_ADDRESS, BootLayout.IDT_LIMIT);
        sregs.cr0(sregs.cr0() | CR0_PE | CR0_PG).cr4(sregs.cr4() | CR4_PAE).cr3(BootLayout.PML4_ADDRESS)
            .efer(sregs.efer() | EFER_LME | EFER_LMA);

        final Lapic lapic = new Lapic();
        fresh.getLapic(lapic);
        lapic.register(APIC_LVT_LINT0, (lapic.register(APIC_LVT_LINT0) & ~APIC_DELIVERY_MODE_MASK) | APIC_MODE_EXTINT);
        lapic.register(APIC_LVT_LINT1, (lapic.register(APIC_LVT_LINT1) & ~APIC_DELIVERY_MODE_MASK) | APIC_MODE_NMI);
        bootLapic = lapic;
        bootSregs = sregs;
    }
}
