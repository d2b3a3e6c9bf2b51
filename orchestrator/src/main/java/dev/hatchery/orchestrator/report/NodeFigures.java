package dev.hatchery.orchestrator.report;

/**
 * One node's share of a cluster batch, as counted by the batch's coordinator from the node's events (and, when the
 * node finished its part, its own report's resource figures).
 *
 * @param status              {@code done} (the node reported its part's end), {@code lost} (the node left the cluster before
 *                            that: its unfinished VMs are counted in {@code lost}) or {@code refused} (it took no part)
 * @param localBatchId        the part's batch id on that node ({@code GET /v1/batches/ID} there), "" when it never started
 * @param vms                 VMs given to the node
 * @param booted              of those, booted
 * @param failed              failed, the lost and refused ones included
 * @param timedOut            timed out
 * @param cancelled           cancelled
 * @param lost                ended as {@code node_lost} or {@code node_refused}: never reported by the node
 * @param throughputPerSecond booted VMs per second of the batch's wall time
 * @param latencyMicros       spawn to boot-complete of the node's booted VMs
 * @param hostCpuSeconds      the node's own figure, -1 when it did not report one
 * @param peakRssBytes        the node's own figure, -1 when it did not report one
 * @param memoryPerVmBytes    the node's own figure, -1 when it did not report one
 * @param environment         where the node ran, "" when unknown
 */
public record NodeFigures(String status, String localBatchId, int vms, int booted, int failed, int timedOut, int cancelled, int lost,
    double throughputPerSecond, LatencySummary latencyMicros, double hostCpuSeconds, long peakRssBytes, long memoryPerVmBytes, String environment)
{
}
