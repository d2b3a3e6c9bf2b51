package dev.hatchery.orchestrator;

import dev.hatchery.vm.Phase;
import dev.hatchery.vm.VmResult;

/**
 * One VM of a batch ended: how ({@code outcome}: booted, failed, timed_out, cancelled), why, and its
 * spawn→boot time ({@code bootMicros}, -1 when it never booted). {@code sequence} counts from 1 per batch.
 */
public record VmEvent(String batchId, String vmId, long sequence, String outcome, String reason, long bootMicros)
{
    static VmEvent of(final String batchId, final long sequence, final VmResult result)
    {
        final long boot = result.timeline().sinceRequest(Phase.BOOT_COMPLETE);
        return new VmEvent(batchId, result.vmId(), sequence, result.outcome().kind().name().toLowerCase(java.util.Locale.ROOT),
            result.outcome().reason(), boot < 0 ? -1 : boot / 1000);
    }
}
