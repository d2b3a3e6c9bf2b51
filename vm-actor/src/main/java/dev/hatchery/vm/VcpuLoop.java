package dev.hatchery.vm;

import dev.hatchery.devices.Bus;
import dev.hatchery.kvm.ExitReason;
import dev.hatchery.kvm.KvmRun;
import dev.hatchery.kvm.KvmVcpu;
import dev.hatchery.kvm.Regs;

import org.agrona.concurrent.UnsafeBuffer;

/**
 * The body of a VM's vCPU thread: enter the guest, dispatch each exit to the buses, and decide the
 * outcome when the guest or the VMM ends the VM. Only this thread touches the vCPU while it runs.
 */
final class VcpuLoop
{
    private final Vm vm;
    private final KvmVcpu vcpu;
    private final Bus portIo;
    private final Bus mmio;
    private final boolean tripleFaultIsStop;
    private long exits;

    VcpuLoop(final Vm vm, final KvmVcpu vcpu, final Bus portIo, final Bus mmio, final boolean tripleFaultIsStop)
    {
        this.vm = vm;
        this.vcpu = vcpu;
        this.portIo = portIo;
        this.mmio = mmio;
        this.tripleFaultIsStop = tripleFaultIsStop;
    }

    long exits()
    {
        return exits;
    }

    /** Runs until the VM ends and returns how it ended; never throws for guest behaviour. */
    VmOutcome run()
    {
        final KvmRun run = vcpu.kvmRun();
        while (true)
        {
            final VmOutcome stop = vm.pendingStop();
            if (stop != null)
            {
                return stop;
            }
            final int exit = vcpu.run();
            exits++;
            switch (exit)
            {
                case ExitReason.IO -> dispatchIo(run);
                case ExitReason.MMIO ->
                {
                    dispatchMmio(run);
                    if (vm.captureRequested())
                    {
                        // A clone template's guest reached its ready point: captured here, it never runs on.
                        return vm.captureTemplate();
                    }
                    if (vm.functionReplied())
                    {
                        // A function's clone has replied: it has nothing left to do, and the reply is read once it stopped.
                        return VmOutcome.booted("function replied");
                    }
                }
                case ExitReason.INTR ->
                {
                    // A kick: the loop head picks up the stop request; any other signal just re-enters.
                }
                case ExitReason.SHUTDOWN ->
                {
                    return tripleFault();
                }
                case ExitReason.SYSTEM_EVENT ->
                {
                    return systemEvent(run);
                }
                case ExitReason.FAIL_ENTRY ->
                {
                    return VmOutcome.of(new VmFailure.EntryFailed(run.exitDetail(), "rip=0x" + Long.toHexString(rip())));
                }
                case ExitReason.INTERNAL_ERROR ->
                {
                    return VmOutcome.of(new VmFailure.InternalError(run.internalError() + " rip=0x" + Long.toHexString(rip())));
                }
                default ->
                {
                    return VmOutcome.of(new VmFailure.UnhandledExit(ExitReason.name(exit), "rip=0x" + Long.toHexString(rip())));
                }
            }
            if (vm.resetRequested())
            {
                return guestStopped("reset via i8042");
            }
        }
    }

    /** Where the guest was, for failure messages; the vCPU is not running, so its registers can be read. */
    private long rip()
    {
        final Regs regs = new Regs();
        vcpu.getRegs(regs);
        return regs.get(Regs.Reg.RIP);
    }

    private void dispatchIo(final KvmRun run)
    {
        final UnsafeBuffer page = run.buffer();
        final int size = run.ioSize();
        final int port = run.ioPort();
        int index = run.ioDataOffset();
        // String I/O (rep outsb/insb) hands over `count` items at once, back to back.
        for (int i = 0, count = run.ioCount(); i < count; i++, index += size)
        {
            if (run.ioIsWrite())
            {
                portIo.write(port, page, index, size);
            }
            else
            {
                portIo.read(port, page, index, size);
            }
        }
    }

    private void dispatchMmio(final KvmRun run)
    {
        if (run.mmioIsWrite())
        {
            mmio.write(run.mmioAddress(), run.buffer(), run.mmioDataOffset(), run.mmioLength());
        }
        else
        {
            mmio.read(run.mmioAddress(), run.buffer(), run.mmioDataOffset(), run.mmioLength());
        }
    }

    private VmOutcome tripleFault()
    {
        if (tripleFaultIsStop && vm.booted())
        {
            return VmOutcome.booted("guest stopped by triple fault, as this guest does on purpose");
        }
        return VmOutcome.of(new VmFailure.TripleFault(vm.booted(), "rip=0x" + Long.toHexString(rip())));
    }

    private VmOutcome systemEvent(final KvmRun run)
    {
        final int type = (int)run.exitDetail();
        return switch (type)
        {
            case ExitReason.SYSTEM_EVENT_RESET -> guestStopped("reset (KVM_SYSTEM_EVENT_RESET)");
            case ExitReason.SYSTEM_EVENT_SHUTDOWN -> guestStopped("shutdown (KVM_SYSTEM_EVENT_SHUTDOWN)");
            default -> VmOutcome.of(new VmFailure.GuestCrashed(type));
        };
    }

    private VmOutcome guestStopped(final String how)
    {
        return vm.booted()
            ? VmOutcome.booted("guest " + how)
            : VmOutcome.of(new VmFailure.StoppedBeforeBoot(how));
    }
}
