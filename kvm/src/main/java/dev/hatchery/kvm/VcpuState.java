package dev.hatchery.kvm;

/**
 * Everything KVM holds for one vCPU, captured from a vCPU in a known state and written back whole into another
 * vCPU (or the same one later): general, special and debug registers, FPU and vector state (XSAVE) with the XCRs,
 * the local APIC, every MSR KVM saves that this vCPU accepts, pending events (exceptions, interrupts, NMI,
 * interrupt shadow) and the multiprocessing state (running or halted). Only CPUID is left out: it is set once per
 * vCPU, and KVM refuses a different one after the first KVM_RUN.
 * <p>
 * Immutable once captured: {@link #restore} only reads it, so one capture may be restored into many vCPUs, from
 * several threads at once. The order of both follows what KVM needs: the MP state is read first (reading it
 * lets the LAPIC accept pending events) and the LAPIC is written before the MSRs (the TSC-deadline MSR needs
 * the LAPIC in that mode), the events last.
 */
public final class VcpuState
{
    // Sizes (linux/kvm.h, x86-64) pinned against this machine's headers by NativeLayoutTest.
    static final int XSAVE_SIZE = 4096;
    static final int XCRS_SIZE = 392;
    static final int DEBUGREGS_SIZE = 128;
    static final int VCPU_EVENTS_SIZE = 64;
    static final int MP_STATE_SIZE = 4;
    static final int MSR_IA32_TSC = 0x10;
    static final int MSR_IA32_TSC_DEADLINE = 0x6e0;

    private final NativeBlock mpState = new NativeBlock("MP_STATE", MP_STATE_SIZE, KvmIoctls.KVM_GET_MP_STATE, KvmIoctls.KVM_SET_MP_STATE);
    private final Regs regs = new Regs();
    private final SpecialRegs sregs = new SpecialRegs();
    private final NativeBlock xsave = new NativeBlock("XSAVE", XSAVE_SIZE, KvmIoctls.KVM_GET_XSAVE, KvmIoctls.KVM_SET_XSAVE);
    private final NativeBlock xcrs = new NativeBlock("XCRS", XCRS_SIZE, KvmIoctls.KVM_GET_XCRS, KvmIoctls.KVM_SET_XCRS);
    private final NativeBlock debugRegs = new NativeBlock("DEBUGREGS", DEBUGREGS_SIZE, KvmIoctls.KVM_GET_DEBUGREGS,
        KvmIoctls.KVM_SET_DEBUGREGS);
    private final Lapic lapic = new Lapic();
    private final Msrs msrs;
    /**
     * The same without IA32_TSC, made on the first restore that sets the TSC through its offset ({@link TscOffset});
     * restores on several threads may each make it, alike.
     */
    private volatile Msrs msrsButTsc;
    /** Whether this kernel sets a vCPU's TSC offset directly: asked once per process. */
    private static volatile Boolean tscOffsetSupported;
    private final NativeBlock events = new NativeBlock("VCPU_EVENTS", VCPU_EVENTS_SIZE, KvmIoctls.KVM_GET_VCPU_EVENTS,
        KvmIoctls.KVM_SET_VCPU_EVENTS);

    private VcpuState(final Msrs msrs)
    {
        this.msrs = msrs;
    }

    /**
     * Reads the whole state of {@code vcpu}, which must not be running. {@code msrIndices} is the list to save
     * ({@link Kvm#msrIndexList()}); MSRs this vCPU cannot read, or cannot have written back, are left out (KVM lists
     * MSRs of features this vCPU's CPUID may not have): each is found by reading or writing the list as it is, which
     * stops at the first one KVM rejects. Writing back what was just read changes nothing.
     */
    public static VcpuState capture(final KvmVcpu vcpu, final int[] msrIndices)
    {
        final int fd = vcpu.fd();
        final Object[] facts = {"vcpu", vcpu.id()};
        Msrs list = new Msrs(Math.max(1, msrIndices.length));
        for (final int index : restoreOrder(msrIndices))
        {
            list.add(index, 0);
        }
        final VcpuState state = new VcpuState(readableAndWritable(vcpu, list));
        state.mpState.get(fd, facts);
        vcpu.getRegs(state.regs);
        vcpu.getSregs(state.sregs);
        state.xsave.get(fd, facts);
        state.xcrs.get(fd, facts);
        state.debugRegs.get(fd, facts);
        vcpu.getLapic(state.lapic);
        final int read = vcpu.getMsrs(state.msrs);
        if (read != state.msrs.count())
        {
            throw new KvmException("KVM_GET_MSRS", "vcpu=" + vcpu.id() + " read=" + read + " requested=" + state.msrs.count(), Errno.EINVAL);
        }
        state.events.get(fd, facts);
        return state;
    }

    /**
     * The TSC first and the TSC deadline last: KVM turns a written deadline into a host timer using the guest's TSC
     * at that moment, so the TSC must already be the captured one, or a restored guest's next timer fires at the
     * wrong time (possibly never, as far as the guest can tell).
     */
    static int[] restoreOrder(final int[] msrIndices)
    {
        final int[] ordered = new int[msrIndices.length];
        int next = 0;
        for (final int index : msrIndices)
        {
            if (index == MSR_IA32_TSC)
            {
                ordered[next++] = index;
            }
        }
        for (final int index : msrIndices)
        {
            if (index != MSR_IA32_TSC && index != MSR_IA32_TSC_DEADLINE)
            {
                ordered[next++] = index;
            }
        }
        for (final int index : msrIndices)
        {
            if (index == MSR_IA32_TSC_DEADLINE)
            {
                ordered[next++] = index;
            }
        }
        return ordered;
    }

    private static Msrs readableAndWritable(final KvmVcpu vcpu, final Msrs all)
    {
        Msrs list = all;
        while (list.count() > 0)
        {
            final int read = vcpu.getMsrs(list);
            if (read < list.count())
            {
                list = list.without(read);
                continue;
            }
            final int written = vcpu.trySetMsrs(list);
            if (written < list.count())
            {
                list = list.without(written);
                continue;
            }
            return list;
        }
        return list;
    }

    /**
     * Writes this state into {@code vcpu}, which must not be running; fails on the first ioctl KVM refuses. The TSC
     * becomes exactly the captured one: set through the vCPU's TSC offset where KVM allows it (a host write of
     * IA32_TSC close to what KVM expects is taken as a request to keep TSCs in step, and the value written is lost),
     * before the MSRs, whose TSC deadline KVM turns into a timer against the TSC at that moment.
     */
    public void restore(final KvmVcpu vcpu)
    {
        final int fd = vcpu.fd();
        final Object[] facts = {"vcpu", vcpu.id()};
        mpState.set(fd, facts);
        vcpu.setRegs(regs);
        vcpu.setSregs(sregs);
        xsave.set(fd, facts);
        xcrs.set(fd, facts);
        debugRegs.set(fd, facts);
        vcpu.setLapic(lapic);
        final int tscEntry = entryOf(MSR_IA32_TSC);
        if (tscEntry >= 0 && tscOffsetSupported(vcpu))
        {
            setTsc(vcpu, msrs.value(tscEntry));
            Msrs rest = msrsButTsc;
            if (rest == null)
            {
                rest = msrs.without(tscEntry);
                msrsButTsc = rest;
            }
            vcpu.setMsrs(rest);
        }
        else
        {
            vcpu.setMsrs(msrs);
        }
        events.set(fd, facts);
    }

    /** Guest TSC = host TSC + offset: the host TSC now is the guest's now less its offset now. */
    private static void setTsc(final KvmVcpu vcpu, final long guestTsc)
    {
        final TscOffset offset = new TscOffset();
        final Msrs now = new Msrs(1).add(MSR_IA32_TSC, 0);
        final long offsetBefore = offset.get(vcpu.fd(), vcpu.id());
        if (vcpu.getMsrs(now) != 1)
        {
            throw new KvmException("KVM_GET_MSRS", "vcpu=" + vcpu.id() + " msr=IA32_TSC", Errno.EINVAL);
        }
        final long hostTsc = now.value(0) - offsetBefore;
        offset.set(vcpu.fd(), vcpu.id(), guestTsc - hostTsc);
    }

    private static boolean tscOffsetSupported(final KvmVcpu vcpu)
    {
        Boolean supported = tscOffsetSupported;
        if (supported == null)
        {
            supported = new TscOffset().supported(vcpu.fd());
            tscOffsetSupported = supported;
        }
        return supported;
    }

    private int entryOf(final int index)
    {
        for (int i = 0; i < msrs.count(); i++)
        {
            if (msrs.index(i) == index)
            {
                return i;
            }
        }
        return -1;
    }

    /** How many MSRs this state holds. */
    public int msrCount()
    {
        return msrs.count();
    }

    /** The MSRs this state holds, in the order they are restored. */
    public int[] msrIndices()
    {
        final int[] indices = new int[msrs.count()];
        for (int i = 0; i < indices.length; i++)
        {
            indices[i] = msrs.index(i);
        }
        return indices;
    }

    /** The saved value of MSR {@code index}; fails when this state does not hold it. */
    public long msr(final int index)
    {
        for (int i = 0; i < msrs.count(); i++)
        {
            if (msrs.index(i) == index)
            {
                return msrs.value(i);
            }
        }
        throw new IllegalArgumentException("MSR not in this state: msr=0x" + Integer.toHexString(index));
    }

    /** The saved general registers (read-only by contract: a state is restored as captured). */
    public long register(final Regs.Reg reg)
    {
        return regs.get(reg);
    }
}
