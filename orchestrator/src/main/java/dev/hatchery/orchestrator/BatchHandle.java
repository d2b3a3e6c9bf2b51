package dev.hatchery.orchestrator;

import java.time.Instant;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;

import dev.hatchery.orchestrator.report.BatchReport;

/**
 * A running batch as seen from outside the actor system: its id, what was asked, live progress, an
 * event per VM as it ends, and the eventual report.
 */
public record BatchHandle(String id, BatchRequest request, Instant submittedAt, Supplier<BatchProgress> progress,
    EventFeed<VmEvent> events, CompletionStage<BatchReport> report)
{
    /** What one event costs to keep, about: a record of a few short strings and numbers. */
    private static final long BYTES_PER_EVENT = 256;
    /** The report, about: phases, percentiles, failure groups, resource figures. */
    private static final long REPORT_BYTES = 16 * 1024;

    public boolean done()
    {
        return report.toCompletableFuture().isDone();
    }

    /** About how many bytes keeping this batch costs (its events and report), for the retention bound. */
    long retainedBytes()
    {
        return REPORT_BYTES + events.size() * BYTES_PER_EVENT;
    }
}
