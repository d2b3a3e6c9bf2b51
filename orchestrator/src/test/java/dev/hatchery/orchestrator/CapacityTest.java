package dev.hatchery.orchestrator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class CapacityTest
{
    private static final long MIB = 1024 * 1024;

    private final Capacity capacity = new Capacity(new Limits(1000, 64, 10, 512, 2048, 2));

    @Test
    void shouldRefuseAsBusyWhenVmSlotsAreInUseAndTakeTheRequestOnceReleased()
    {
        assertNull(capacity.reserveBatch(8, 128 * MIB));

        final Refusal busy = capacity.reserveBatch(4, 128 * MIB);

        assertEquals(Refusal.Kind.BUSY, busy.kind());
        assertEquals("service at capacity: wanted vms=4 memMib=512 while vms_in_use=8/10 mem_mib_in_use=1024/2048;"
            + " retry when running VMs end", busy.message());
        capacity.releaseBatch(8, 128 * MIB);
        assertNull(capacity.reserveBatch(4, 128 * MIB));
        assertEquals(4, capacity.vmsReserved());
    }

    @Test
    void shouldRefuseAsBusyWhenGuestMemoryIsInUse()
    {
        assertNull(capacity.reserveVm(512 * MIB));
        assertNull(capacity.reserveVm(512 * MIB));
        assertNull(capacity.reserveVm(512 * MIB));
        assertNull(capacity.reserveVm(512 * MIB));

        assertEquals(Refusal.Kind.BUSY, capacity.reserveVm(16 * MIB).kind());
        capacity.releaseVm(512 * MIB);
        assertNull(capacity.reserveVm(16 * MIB));
        assertEquals(1552, capacity.memMibReserved());
    }

    @Test
    void shouldRefuseTooManyActiveBatches()
    {
        assertNull(capacity.reserveBatch(1, MIB));
        assertNull(capacity.reserveBatch(1, MIB));

        final Refusal refusal = capacity.reserveBatch(1, MIB);

        assertEquals(Refusal.Kind.TOO_MANY, refusal.kind());
        assertEquals("too many batches running: active=2 max-active-batches=2; retry when one finishes", refusal.message());
    }

    @Test
    void shouldRefuseAsInvalidWhatCanNeverFitNamingTheField()
    {
        final Refusal perVm = capacity.reserveVm(1024 * MIB);
        final Refusal total = capacity.reserveBatch(5, 512 * MIB);
        final Refusal slots = capacity.reserveBatch(11, MIB);

        assertEquals(Refusal.invalid("memMib", "memMib=1024 is above this service's limit: max-mem-mib-per-vm=512"), perVm);
        assertEquals(Refusal.Kind.INVALID, total.kind());
        assertEquals("concurrency", total.field());
        assertEquals("concurrency", slots.field());
        assertEquals(0, capacity.vmsReserved());
    }

    @Test
    void shouldFailLoudlyWhenReleasedTwice()
    {
        assertNull(capacity.reserveVm(MIB));
        capacity.releaseVm(MIB);

        assertThrows(IllegalStateException.class, () -> capacity.releaseVm(MIB));
    }

    @Test
    void shouldCountGuestRamOverheadAndTemplatesAgainstTheHostMemoryBudget()
    {
        final long[] templates = {100 * MIB};
        final Capacity budgeted = new Capacity(new Limits(1000, 64, 100, 2048, 1 << 20, 8), new MemoryBudget(1000 * MIB, 8 * MIB, "test budget"),
            () -> templates[0], admitted -> { });

        assertNull(budgeted.reserveVm(512 * MIB));
        final Refusal busy = budgeted.reserveVm(512 * MIB);

        assertEquals(Refusal.Kind.BUSY, busy.kind());
        assertEquals("host memory budget reached: wanted vms=1 needing 520 MiB (guest RAM + 8 MiB overhead each) while admitted 520 MiB and"
            + " kernel templates 100 MiB of budget 1000 MiB (test budget); retry when running VMs end", busy.message());
        assertEquals(520 * MIB, budgeted.admittedBytes());
        templates[0] = 0;
        assertNull(budgeted.reserveVm(400 * MIB), "fits once the templates are gone");
        budgeted.releaseVm(512 * MIB);
        budgeted.releaseVm(400 * MIB);
        assertEquals(0, budgeted.admittedBytes());
    }

    @Test
    void shouldThrottleABatchToTheVmsTheBudgetHoldsAndRefuseWhenNotOneFits()
    {
        final Capacity budgeted = new Capacity(new Limits(1000, 64, 100, 2048, 1 << 20, 8), new MemoryBudget(1000 * MIB, 0, "test budget"),
            () -> 0, admitted -> { });

        final Capacity.Reservation first = budgeted.reserveBatchUpTo(16, 128 * MIB);
        final Capacity.Reservation second = budgeted.reserveBatchUpTo(16, 128 * MIB);

        assertEquals(new Capacity.Reservation(7, null), first, "7 x 128 MiB of 1000 MiB");
        assertEquals(0, second.vms());
        assertEquals(Refusal.Kind.BUSY, second.refusal().kind());
        assertEquals("host memory budget reached", second.refusal().message().substring(0, 26));
        budgeted.releaseBatch(7, 128 * MIB);
        assertEquals(7, budgeted.reserveBatchUpTo(16, 128 * MIB).vms(), "room again once the first batch ended");
    }

    @Test
    void shouldRefuseAVmLargerThanTheWholeBudgetAsInvalid()
    {
        final Capacity budgeted = new Capacity(new Limits(1000, 64, 100, 2048, 1 << 20, 8), new MemoryBudget(1000 * MIB, 8 * MIB, "test budget"),
            () -> 0, admitted -> { });

        final Refusal refusal = budgeted.reserveVm(2000 * MIB);

        assertEquals(Refusal.Kind.INVALID, refusal.kind());
        assertEquals("memMib", refusal.field());
        assertEquals("memMib=2000 can never fit the host memory budget: budget_mib=1000 (test budget); lower memMib", refusal.message());
    }
}
