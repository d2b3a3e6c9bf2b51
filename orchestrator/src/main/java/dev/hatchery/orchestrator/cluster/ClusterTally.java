package dev.hatchery.orchestrator.cluster;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.HdrHistogram.Histogram;

import dev.hatchery.orchestrator.BatchProgress;
import dev.hatchery.orchestrator.BatchRequest;
import dev.hatchery.orchestrator.EventFeed;
import dev.hatchery.orchestrator.VmEvent;
import dev.hatchery.orchestrator.report.BatchReport;
import dev.hatchery.orchestrator.report.FailureGroup;
import dev.hatchery.orchestrator.report.LatencySummary;
import dev.hatchery.orchestrator.report.NodeFigures;

/**
 * The accounting of one cluster batch: every VM given to a node ends exactly once in the batch's one event sequence —
 * as the node reported it, or as {@code node_lost} / {@code node_refused} when the node can no longer report it — and
 * the report adds the nodes up and keeps each node's figures. Confined to the batch's coordinator.
 */
final class ClusterTally
{
    static final String NODE_LOST = "node_lost";
    static final String NODE_REFUSED = "node_refused";

    private static final int SIGNIFICANT_DIGITS = 3;

    private final String batchId;
    private final BatchRequest request;
    private final EventFeed<VmEvent> feed;
    private final long startNanos;
    private final Instant startedAt;
    private final Map<String, Share> shares = new LinkedHashMap<>();
    private final Histogram bootNanos = new Histogram(SIGNIFICANT_DIGITS);
    private long sequence;
    private int booted;
    private int failed;
    private int timedOut;
    private int cancelled;
    private BatchReport report;

    /** One node's part: what it was given and how much of it has ended. */
    private static final class Share
    {
        final int vms;
        final Histogram bootNanos = new Histogram(SIGNIFICANT_DIGITS);
        String status = "running";
        String localBatchId = "";
        int ended;
        int booted;
        int failed;
        int timedOut;
        int cancelled;
        int lost;
        BatchReport own;

        Share(final int vms)
        {
            this.vms = vms;
        }

        boolean finished()
        {
            return !"running".equals(status);
        }
    }

    ClusterTally(final String batchId, final BatchRequest request, final Map<String, Integer> vmsPerNode, final EventFeed<VmEvent> feed,
        final long startNanos)
    {
        this.batchId = batchId;
        this.request = request;
        this.feed = feed;
        this.startNanos = startNanos;
        this.startedAt = Instant.now();
        final int total = vmsPerNode.values().stream().mapToInt(Integer::intValue).sum();
        if (total != request.count())
        {
            throw new IllegalArgumentException("parts add up to " + total + " VMs, the batch has " + request.count());
        }
        vmsPerNode.forEach((node, vms) -> shares.put(node, new Share(vms)));
    }

    void started(final String node, final String localBatchId)
    {
        share(node).localBatchId = localBatchId;
    }

    /** A VM the node reported ended; false (and nothing counted) when the node's part has no VM left to end. */
    boolean vmEnded(final String node, final VmEvent event)
    {
        final Share share = share(node);
        if (share.finished() || share.ended >= share.vms)
        {
            return false;
        }
        append(share, event.inCluster(batchId, ++sequence, node));
        return true;
    }

    /** The node finished its part; any VM it did not report (none, when it keeps its word) ends as lost. */
    void done(final String node, final BatchReport own)
    {
        final Share share = share(node);
        if (share.finished())
        {
            return;
        }
        share.own = own;
        endTheRest(share, node, NODE_LOST, "node " + node + " ended its part without reporting this VM");
        share.status = "done";
    }

    /** The node left the cluster (downed, or stopped): its unfinished VMs end as node_lost. */
    void lost(final String node)
    {
        final Share share = share(node);
        if (share.finished())
        {
            return;
        }
        endTheRest(share, node, NODE_LOST, "node " + node + " left the cluster before this VM ended (the VM is gone with it)");
        share.status = "lost";
    }

    /** The node did not take its part: its VMs end as node_refused with the node's reason. */
    void refused(final String node, final String reason)
    {
        final Share share = share(node);
        if (share.finished())
        {
            return;
        }
        endTheRest(share, node, NODE_REFUSED, "node " + node + " refused its part: " + reason);
        share.status = "refused";
    }

    boolean complete()
    {
        return shares.values().stream().allMatch(Share::finished);
    }

    /** Nodes whose part has not finished. */
    List<String> running()
    {
        final List<String> nodes = new ArrayList<>();
        shares.forEach((node, share) ->
        {
            if (!share.finished())
            {
                nodes.add(node);
            }
        });
        return nodes;
    }

    BatchProgress progress()
    {
        final int ended = booted + failed + timedOut + cancelled;
        final double seconds = (System.nanoTime() - startNanos) / 1e9;
        return new BatchProgress(batchId, request.count(), booted, failed, timedOut, cancelled, request.count() - ended,
            seconds > 0 ? booted / seconds : 0, report != null);
    }

    /** The batch's report (once {@link #complete()}): the nodes added up, and each node's own figures. */
    BatchReport finish(final long endNanos, final String environment)
    {
        if (!complete())
        {
            throw new IllegalStateException("cluster batch " + batchId + " finished while nodes still run: " + running());
        }
        if (report != null)
        {
            return report;
        }
        final double wall = (endNanos - startNanos) / 1e9;
        final Map<String, NodeFigures> nodes = new LinkedHashMap<>();
        final Map<String, FailureGroup> failures = new HashMap<>();
        final Map<String, Integer> spawnPaths = new LinkedHashMap<>();
        double cpu = 0;
        long peakRss = -1;
        boolean lab = false;
        boolean everyNodeReported = true;
        for (final Map.Entry<String, Share> entry : shares.entrySet())
        {
            final Share share = entry.getValue();
            final BatchReport own = share.own;
            if (own == null)
            {
                everyNodeReported = false;
            }
            else
            {
                cpu += Math.max(0, own.hostCpuSeconds());
                peakRss = Math.max(peakRss, own.peakRssBytes());
                lab |= own.lab();
                own.failures().forEach(group -> failures.merge(group.code() + "\u0000" + group.summary(), group, ClusterTally::sum));
                own.spawnPaths().forEach((path, vms) -> spawnPaths.merge(path, vms, Integer::sum));
            }
            nodes.put(entry.getKey(), new NodeFigures(share.status, share.localBatchId, share.vms, share.booted, share.failed, share.timedOut,
                share.cancelled, share.lost, wall > 0 ? share.booted / wall : 0, LatencySummary.of(share.bootNanos),
                own == null ? -1 : own.hostCpuSeconds(), own == null ? -1 : own.peakRssBytes(), own == null ? -1 : own.memoryPerVmBytes(),
                own == null ? "" : own.environment()));
        }
        for (final VmEvent event : feed.snapshot())
        {
            final Share share = shares.get(event.node());
            // A finished node's own report groups its failures; a lost or refused node's are grouped here from its events.
            if (event.failure() != null && (share.own == null || isCoordinators(event.failure())))
            {
                failures.merge(event.failure() + "\u0000" + summary(event), new FailureGroup(event.failure(), "node", summary(event), 1,
                    event.vmId(), ""), ClusterTally::sum);
            }
        }
        report = new BatchReport(request.kernelName(), request.count(), request.concurrency(), request.spec().memoryMode().name().toLowerCase(
            java.util.Locale.ROOT), booted, failed, timedOut, cancelled, wall, wall > 0 ? booted / wall : 0, LatencySummary.of(bootNanos), Map.of(),
            Map.of(), everyNodeReported ? cpu : -1, peakRss, -1, -1, -1, failures.values().stream().sorted(FailureGroup.LARGEST_FIRST).toList(),
            spawnPaths, lab, environment, startedAt.toString(), request.spec().spawn().name().toLowerCase(java.util.Locale.ROOT), null, nodes);
        return report;
    }

    private static boolean isCoordinators(final String failure)
    {
        return NODE_LOST.equals(failure) || NODE_REFUSED.equals(failure);
    }

    private static String summary(final VmEvent event)
    {
        return isCoordinators(event.failure()) ? event.reason() : event.failure() + " (reported by " + event.node() + ")";
    }

    private static FailureGroup sum(final FailureGroup a, final FailureGroup b)
    {
        return new FailureGroup(a.code(), a.stage(), a.summary(), a.count() + b.count(), a.exampleVmId(), a.exampleDetail());
    }

    private void endTheRest(final Share share, final String node, final String failure, final String reason)
    {
        int n = 0;
        while (share.ended < share.vms)
        {
            share.lost++;
            append(share, new VmEvent(batchId, batchId + "-" + node + "-unreported-" + n++, ++sequence, "failed", failure, reason, -1, node));
        }
    }

    private void append(final Share share, final VmEvent event)
    {
        share.ended++;
        switch (event.outcome())
        {
            case "booted" ->
            {
                booted++;
                share.booted++;
                if (event.bootMicros() >= 0)
                {
                    bootNanos.recordValue(event.bootMicros() * 1000);
                    share.bootNanos.recordValue(event.bootMicros() * 1000);
                }
            }
            case "timed_out" ->
            {
                timedOut++;
                share.timedOut++;
            }
            case "cancelled" ->
            {
                cancelled++;
                share.cancelled++;
            }
            default ->
            {
                failed++;
                share.failed++;
            }
        }
        feed.append(event);
    }

    private Share share(final String node)
    {
        final Share share = shares.get(node);
        if (share == null)
        {
            throw new IllegalArgumentException("node " + node + " has no part in cluster batch " + batchId);
        }
        return share;
    }
}
