package dev.hatchery.orchestrator.report;

import java.util.Map;

import dev.hatchery.vm.Phase;
import dev.hatchery.vm.Timeline;
import dev.hatchery.vm.VmFailure;
import dev.hatchery.vm.VmOutcome;
import dev.hatchery.vm.VmResult;

/** Real VmResults with timelines at chosen offsets from the request. */
final class VmResults
{
    /** Any non-zero nanoTime reading: 0 means "not reached" to a Timeline. */
    static final long REQUEST_NANOS = 5_000_000_000L;

    private VmResults()
    {
    }

    static Timeline timeline(final Map<Phase, Long> nanosSinceRequest)
    {
        final Timeline timeline = new Timeline();
        timeline.mark(Phase.REQUEST, REQUEST_NANOS);
        nanosSinceRequest.forEach((phase, nanos) -> timeline.mark(phase, REQUEST_NANOS + nanos));
        return timeline;
    }

    static VmResult result(final String vmId, final VmOutcome outcome, final Map<Phase, Long> nanosSinceRequest)
    {
        return new VmResult(vmId, outcome, timeline(nanosSinceRequest), "", 0);
    }

    /** A VM that booted after {@code bootNanos}, having loaded its kernel at a tenth of that. */
    static VmResult booted(final String vmId, final long bootNanos)
    {
        return result(vmId, VmOutcome.booted("stopped by request"),
            Map.of(Phase.KERNEL_LOADED, bootNanos / 10, Phase.BOOT_COMPLETE, bootNanos));
    }

    static VmResult failed(final String vmId, final VmFailure failure)
    {
        return result(vmId, VmOutcome.of(failure), Map.of(Phase.MEMORY_READY, 1_000L));
    }

    /** A guest that triple-faulted before boot-complete at {@code rip}: the same failure, a different detail per VM. */
    static VmFailure tripleFault(final long rip)
    {
        return new VmFailure.TripleFault(false, "rip=0x" + Long.toHexString(rip));
    }
}
