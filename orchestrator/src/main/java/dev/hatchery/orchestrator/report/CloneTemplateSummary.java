package dev.hatchery.orchestrator.report;

/**
 * The clone template a batch of clones (spawn=clone) was made from, reported apart from the clones: making it costs a
 * whole boot, once per spec and host, and is not part of any clone's spawn latency.
 *
 * @param prepareMillis  from launching the template VM to the end of its capture (when it was made; a template made
 *                       for an earlier request is reused as it is)
 * @param capturedBytes  bytes of the template's RAM its memory file holds (the pages that were not zero), shared
 *                       copy-on-write by every clone
 */
public record CloneTemplateSummary(double prepareMillis, long capturedBytes)
{
}
