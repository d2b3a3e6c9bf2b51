package dev.hatchery.orchestrator;

import java.util.function.LongConsumer;
import java.util.function.LongSupplier;

import dev.hatchery.config.SpecField;

/**
 * VM slots, guest memory and active batches reserved against the {@link Limits}. A batch reserves what
 * its in-flight VMs can hold at most ({@code min(count, concurrency)} VMs) for its whole run; a single
 * VM reserves one slot until it ends. Confined to the supervisor actor.
 */
final class Capacity
{
    private static final long MIB = 1024L * 1024L;

    private final Limits limits;
    private final MemoryBudget budget;
    /** Bytes the kernel cache holds now: admitted beside the VMs. */
    private final LongSupplier templateBytes;
    /** Told the admitted bytes whenever they change (the metric mirrors them). */
    private final LongConsumer admittedChanged;
    private int vmsReserved;
    private long memMibReserved;
    /** Guest RAM plus per-VM overhead of every VM reserved: what the budget is spent on. */
    private long admittedBytes;
    private int activeBatches;

    /** A batch's room: how many VMs it may run at once (at most what it asked), or why none. */
    record Reservation(int vms, Refusal refusal)
    {
    }

    Capacity(final Limits limits)
    {
        this(limits, MemoryBudget.UNLIMITED, () -> 0, admitted -> { });
    }

    Capacity(final Limits limits, final MemoryBudget budget, final LongSupplier templateBytes, final LongConsumer admittedChanged)
    {
        this.limits = limits;
        this.budget = budget;
        this.templateBytes = templateBytes;
        this.admittedChanged = admittedChanged;
    }

    /**
     * Reserves room for a batch of up to {@code vms} at once: with fewer when the host memory budget has room for fewer
     * (the batch is throttled, not overcommitted), or refuses as {@link #reserveBatch} does when not one fits now.
     */
    Reservation reserveBatchUpTo(final int vms, final long memBytesPerVm)
    {
        final int fit = (int)Math.min(vms, Math.max(0, roomInBudget() / perVmBytes(memBytesPerVm)));
        final int granted = Math.max(1, fit);
        final Refusal refusal = reserveBatch(granted, memBytesPerVm);
        return new Reservation(refusal == null ? granted : 0, refusal);
    }

    /** Reserves room for a batch, or says why not (invalid: never fits; busy/too many: not now). */
    Refusal reserveBatch(final int vms, final long memBytesPerVm)
    {
        final Refusal perVm = checkVm(vms, memBytesPerVm);
        if (perVm != null)
        {
            return perVm;
        }
        if (activeBatches >= limits.maxActiveBatches())
        {
            return Refusal.tooMany("too many batches running: active=" + activeBatches + " max-active-batches="
                + limits.maxActiveBatches() + "; retry when one finishes");
        }
        final Refusal room = checkRoom(vms, memBytesPerVm);
        if (room == null)
        {
            activeBatches++;
            take(vms, memBytesPerVm);
        }
        return room;
    }

    void releaseBatch(final int vms, final long memBytesPerVm)
    {
        activeBatches--;
        give(vms, memBytesPerVm);
    }

    /** Reserves room for one VM, or says why not. */
    Refusal reserveVm(final long memBytes)
    {
        final Refusal perVm = checkVm(1, memBytes);
        final Refusal refusal = perVm != null ? perVm : checkRoom(1, memBytes);
        if (refusal == null)
        {
            take(1, memBytes);
        }
        return refusal;
    }

    void releaseVm(final long memBytes)
    {
        give(1, memBytes);
    }

    /** What is not reserved now (see {@link FreeCapacity}). */
    FreeCapacity free()
    {
        final long byTotal = Math.max(0, limits.maxTotalMemMib() - memMibReserved) * MIB;
        return new FreeCapacity(Math.max(0, limits.maxVmsInFlight() - vmsReserved), Math.min(roomInBudget(), byTotal),
            budget.perVmOverheadBytes(), Math.max(0, limits.maxActiveBatches() - activeBatches));
    }

    int vmsReserved()
    {
        return vmsReserved;
    }

    long memMibReserved()
    {
        return memMibReserved;
    }

    private Refusal checkVm(final int vms, final long memBytes)
    {
        final long memMib = mib(memBytes);
        if (memMib > limits.maxMemMibPerVm())
        {
            return Refusal.invalid(SpecField.MEM_MIB.apiName(), "memMib=" + memMib + " is above this service's limit: max-mem-mib-per-vm="
                + limits.maxMemMibPerVm());
        }
        if (vms > limits.maxVmsInFlight() || vms * memMib > limits.maxTotalMemMib())
        {
            return Refusal.invalid(SpecField.CONCURRENCY.apiName(), "concurrency=" + vms + " x memMib=" + memMib + " can never fit: max-vms-in-flight="
                + limits.maxVmsInFlight() + " max-total-mem-mib=" + limits.maxTotalMemMib() + "; lower concurrency or memMib");
        }
        if (perVmBytes(memBytes) > budget.bytes())
        {
            return Refusal.invalid(SpecField.MEM_MIB.apiName(), "memMib=" + memMib + " can never fit the host memory budget: budget_mib="
                + budget.mib() + " (" + budget.source() + "); lower memMib");
        }
        return null;
    }

    private Refusal checkRoom(final int vms, final long memBytes)
    {
        final long memMib = mib(memBytes);
        if (vmsReserved + vms > limits.maxVmsInFlight() || memMibReserved + vms * memMib > limits.maxTotalMemMib())
        {
            return Refusal.busy("service at capacity: wanted vms=" + vms + " memMib=" + vms * memMib + " while vms_in_use="
                + vmsReserved + "/" + limits.maxVmsInFlight() + " mem_mib_in_use=" + memMibReserved + "/" + limits.maxTotalMemMib()
                + "; retry when running VMs end");
        }
        if (vms * perVmBytes(memBytes) > roomInBudget())
        {
            return Refusal.busy("host memory budget reached: wanted vms=" + vms + " needing " + ((vms * perVmBytes(memBytes)) >> 20)
                + " MiB (guest RAM + " + (budget.perVmOverheadBytes() >> 20) + " MiB overhead each) while admitted " + (admittedBytes >> 20)
                + " MiB and kernel templates " + (templateBytes.getAsLong() >> 20) + " MiB of budget " + budget.mib() + " MiB ("
                + budget.source() + "); retry when running VMs end");
        }
        return null;
    }

    /** Budget bytes not yet admitted (never negative). */
    private long roomInBudget()
    {
        return Math.max(0, budget.bytes() - admittedBytes - templateBytes.getAsLong());
    }

    private long perVmBytes(final long memBytes)
    {
        return memBytes + budget.perVmOverheadBytes();
    }

    long admittedBytes()
    {
        return admittedBytes;
    }

    MemoryBudget budget()
    {
        return budget;
    }

    private void take(final int vms, final long memBytes)
    {
        vmsReserved += vms;
        memMibReserved += vms * mib(memBytes);
        admittedBytes += vms * perVmBytes(memBytes);
        admittedChanged.accept(admittedBytes);
    }

    private void give(final int vms, final long memBytes)
    {
        vmsReserved -= vms;
        memMibReserved -= vms * mib(memBytes);
        admittedBytes -= vms * perVmBytes(memBytes);
        if (vmsReserved < 0 || memMibReserved < 0 || admittedBytes < 0 || activeBatches < 0)
        {
            throw new IllegalStateException("capacity released twice: vms_reserved=" + vmsReserved + " mem_mib_reserved=" + memMibReserved
                + " active_batches=" + activeBatches);
        }
        admittedChanged.accept(admittedBytes);
    }

    private static long mib(final long bytes)
    {
        return (bytes + MIB - 1) / MIB;
    }
}
