package dev.hatchery.kvm;

import com.sun.jna.LastErrorException;

/** A vCPU file descriptor and its shared {@code kvm_run} page. Used by exactly one thread at a time. */
public final class KvmVcpu implements AutoCloseable
{
    private final int fd;
    private final int id;
    private final long runAddress;
    private final int runSize;
    private final KvmRun run;
    private boolean closed;

    KvmVcpu(final int fd, final int id, final int runSize)
    {
        this.fd = fd;
        this.id = id;
        this.runSize = runSize;
        this.runAddress = Syscalls.mmap(0, runSize, LibC.PROT_READ | LibC.PROT_WRITE, LibC.MAP_SHARED, fd, 0);
        this.run = new KvmRun(runAddress, runSize);
    }

    public int id()
    {
        return id;
    }

    public KvmRun kvmRun()
    {
        return run;
    }

    /**
     * Enters the guest until the next exit. An interrupted entry (a kick, or any signal) is reported
     * as {@link ExitReason#INTR} rather than thrown, since it is the normal way a stop arrives.
     */
    public int run()
    {
        try
        {
            LibC.ioctl(fd, KvmIoctls.KVM_RUN, 0);
            return run.exitReason();
        }
        catch (final LastErrorException ex)
        {
            if (ex.getErrorCode() == Errno.EINTR)
            {
                return ExitReason.INTR;
            }
            throw new KvmException("KVM_RUN", "vcpu=" + id, ex.getErrorCode());
        }
    }

    public void getRegs(final Regs regs)
    {
        Syscalls.ioctl(fd, KvmIoctls.KVM_GET_REGS, regs.address(), "KVM_GET_REGS", "vcpu", id);
    }

    public void setRegs(final Regs regs)
    {
        Syscalls.ioctl(fd, KvmIoctls.KVM_SET_REGS, regs.address(), "KVM_SET_REGS", "vcpu", id);
    }

    public void getSregs(final SpecialRegs sregs)
    {
        Syscalls.ioctl(fd, KvmIoctls.KVM_GET_SREGS, sregs.address(), "KVM_GET_SREGS", "vcpu", id);
    }

    public void setSregs(final SpecialRegs sregs)
    {
        Syscalls.ioctl(fd, KvmIoctls.KVM_SET_SREGS, sregs.address(), "KVM_SET_SREGS", "vcpu", id);
    }

    public void setFpu(final Fpu fpu)
    {
        Syscalls.ioctl(fd, KvmIoctls.KVM_SET_FPU, fpu.address(), "KVM_SET_FPU", "vcpu", id);
    }

    /** KVM_SET_MSRS stops at the first MSR it rejects and returns how many it set: anything short is an error. */
    public void setMsrs(final Msrs msrs)
    {
        final int set = Syscalls.ioctl(fd, KvmIoctls.KVM_SET_MSRS, msrs.address(), "KVM_SET_MSRS", "vcpu", id, "count", msrs.count());
        if (set != msrs.count())
        {
            throw new KvmException("KVM_SET_MSRS", "vcpu=" + id + " set=" + set + " requested=" + msrs.count()
                + (set >= 0 && set < msrs.count() ? " rejected_msr=0x" + Integer.toHexString(msrs.index(set)) : ""), Errno.EINVAL);
        }
    }

    /** KVM_GET_MSRS: reads the listed MSRs in order and returns how many it read (it stops at the first it rejects). */
    public int getMsrs(final Msrs msrs)
    {
        return Syscalls.ioctl(fd, KvmIoctls.KVM_GET_MSRS, msrs.address(), "KVM_GET_MSRS", "vcpu", id, "count", msrs.count());
    }

    /** KVM_SET_MSRS as it is: how many of the listed MSRs it set, in order (it stops at the first it rejects). */
    int trySetMsrs(final Msrs msrs)
    {
        return Syscalls.ioctl(fd, KvmIoctls.KVM_SET_MSRS, msrs.address(), "KVM_SET_MSRS", "vcpu", id, "count", msrs.count());
    }

    public void setCpuid(final Cpuid cpuid)
    {
        Syscalls.ioctl(fd, KvmIoctls.KVM_SET_CPUID2, cpuid.address(), "KVM_SET_CPUID2", "vcpu", id, "entries", cpuid.entryCount());
    }

    public void getLapic(final Lapic lapic)
    {
        Syscalls.ioctl(fd, KvmIoctls.KVM_GET_LAPIC, lapic.address(), "KVM_GET_LAPIC", "vcpu", id);
    }

    public void setLapic(final Lapic lapic)
    {
        Syscalls.ioctl(fd, KvmIoctls.KVM_SET_LAPIC, lapic.address(), "KVM_SET_LAPIC", "vcpu", id);
    }

    /**
     * KVM_SET_SIGNAL_MASK: the signal mask this vCPU's KVM_RUN runs with, the one that lets a kick interrupt it
     * ({@link VcpuKick}). Set by the thread that runs the vCPU, once per vCPU.
     */
    public void setSignalMask(final RunSignalMask mask)
    {
        Syscalls.ioctl(fd, KvmIoctls.KVM_SET_SIGNAL_MASK, mask.address(), "KVM_SET_SIGNAL_MASK", "vcpu", id,
            "sigset", "0x" + Long.toHexString(mask.sigset()));
    }

    int fd()
    {
        return fd;
    }

    @Override
    public void close()
    {
        if (!closed)
        {
            closed = true;
            Syscalls.munmap(runAddress, runSize);
            Syscalls.close(fd);
        }
    }
}
