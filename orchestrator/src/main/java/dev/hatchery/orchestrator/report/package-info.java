/**
 * Batch results and the one place that formats them: {@link dev.hatchery.orchestrator.report.BatchRecorder}
 * turns {@link dev.hatchery.vm.VmResult}s into a {@link dev.hatchery.orchestrator.report.BatchReport};
 * {@link dev.hatchery.orchestrator.report.TerminalReport}, {@link dev.hatchery.orchestrator.report.JsonReport}
 * and {@link dev.hatchery.orchestrator.report.HtmlReport} render it. {@link dev.hatchery.orchestrator.report.FloorReport} puts
 * batch reports of the C floor VMM and of Hatchery side by side; {@code TerminalReport} renders that too.
 */
package dev.hatchery.orchestrator.report;
