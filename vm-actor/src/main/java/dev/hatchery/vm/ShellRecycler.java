package dev.hatchery.vm;

import java.util.concurrent.atomic.AtomicLong;

import dev.hatchery.kvm.ChipState;
import dev.hatchery.kvm.Kvm;
import dev.hatchery.kvm.VcpuState;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Gives the shell of an ended VM back to the {@link ShellPool} instead of destroying it: reset to the state of a
 * fresh shell ({@link VmShell#reset}), so that neither creating nor destroying a VM is paid per VM. Runs on the
 * teardown threads, after the VM's result was reported. What "fresh" means is captured once per process, from the
 * first fresh shell ({@link #learn}): every fresh shell of this process starts alike (same boot vCPU state, same new
 * interrupt controllers), up to the kernel entry point, which the reset sets per shape.
 * <p>
 * Only shells of VMs that ended cleanly come back (booted, or stopped on request): a guest that broke down (triple
 * fault, internal error) or never answered leaves KVM in a state this class does not vouch for, and a networked
 * VM's shell has the device's eventfds bound to it; those shells are destroyed as before. A shell is also destroyed
 * when the pool has enough of its shape, or when the reset fails (counted, logged).
 */
final class ShellRecycler
{
    /** The state a fresh shell's vCPU and interrupt controllers are in before the guest first runs. */
    record Pristine(VcpuState vcpu, ChipState chips)
    {
    }

    private static final Logger LOG = LoggerFactory.getLogger(ShellRecycler.class);

    private final boolean enabled;
    private final Kvm kvm;
    private final BootCpu bootCpu;
    private final ShellPool<VmShell.Shape, VmShell> pool;
    private final AtomicLong recycled = new AtomicLong();
    private final AtomicLong failed = new AtomicLong();
    private volatile Pristine pristine;
    /** Capturing failed once (e.g. KVM without XSAVE): recycling stays off for this process. */
    private volatile boolean unavailable;

    ShellRecycler(final boolean enabled, final Kvm kvm, final BootCpu bootCpu, final ShellPool<VmShell.Shape, VmShell> pool)
    {
        this.enabled = enabled;
        this.kvm = kvm;
        this.bootCpu = bootCpu;
        this.pool = pool;
    }

    /** Captures the pristine state from {@code fresh} (a shell whose vCPU has never run) if none is known yet. */
    void learn(final VmShell fresh)
    {
        if (!enabled || pristine != null || unavailable)
        {
            return;
        }
        synchronized (this)
        {
            if (pristine != null || unavailable)
            {
                return;
            }
            try
            {
                final VcpuState vcpu = VcpuState.capture(fresh.vcpu(), kvm.msrIndexList());
                pristine = new Pristine(vcpu, fresh.kvmVm().captureChips());
                LOG.info("shells.pristine_captured msrs={}", vcpu.msrCount());
            }
            catch (final RuntimeException ex)
            {
                unavailable = true;
                LOG.warn("shells.recycling_unavailable error=\"{}\" (ended VMs' shells are destroyed instead)", ex.getMessage());
            }
        }
    }

    /**
     * Resets the shell of a VM that ended with {@code outcome} and gives it back to the pool; false when it is not
     * taken (then the caller closes it). Checks first whether the pool wants the shell, so a reset is never wasted.
     */
    boolean recycle(final VmShell shell, final VmOutcome outcome, final boolean networked)
    {
        final Pristine state = pristine;
        if (!enabled || state == null || networked || !endedCleanly(outcome) || shell.vcpu() == null || !pool.hasRoomFor(shell.shape()))
        {
            return false;
        }
        try
        {
            shell.reset(state, bootCpu);
        }
        catch (final RuntimeException ex)
        {
            final long failures = failed.incrementAndGet();
            if (Long.bitCount(failures) == 1)
            {
                LOG.warn("shells.recycle_failed failures={} shape=\"{}\" error=\"{}\"", failures, shell.shape(), ex.getMessage());
            }
            return false;
        }
        if (!pool.giveBack(shell.shape(), shell))
        {
            return false;
        }
        recycled.incrementAndGet();
        return true;
    }

    private static boolean endedCleanly(final VmOutcome outcome)
    {
        return outcome.kind() == VmOutcome.Kind.BOOTED || outcome.kind() == VmOutcome.Kind.CANCELLED;
    }

    /** Shells reset and given back to the pool. */
    long recycled()
    {
        return recycled.get();
    }

    /** Resets that failed (those shells were destroyed). */
    long failed()
    {
        return failed.get();
    }
}
