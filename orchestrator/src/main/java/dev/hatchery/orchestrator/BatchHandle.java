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
    public boolean done()
    {
        return report.toCompletableFuture().isDone();
    }
}
