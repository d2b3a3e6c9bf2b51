package dev.hatchery.orchestrator;

import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;

import dev.hatchery.orchestrator.report.BatchReport;

/** A running batch as seen from outside the actor system: its id, live progress and eventual report. */
public record BatchHandle(String id, Supplier<BatchProgress> progress, CompletionStage<BatchReport> report)
{
}
