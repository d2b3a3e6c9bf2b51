package dev.hatchery.orchestrator;

import com.typesafe.config.Config;

/**
 * What the service takes on at once. A request beyond a per-request limit is invalid; one that fits but
 * finds the service full is refused as busy (VM slots or memory in use) or as too many (active batches),
 * never queued into an overcommit.
 */
public record Limits(int maxBatchCount, int maxBatchConcurrency, int maxVmsInFlight, int maxMemMibPerVm, long maxTotalMemMib,
    int maxActiveBatches)
{
    public Limits
    {
        positive("max-count", maxBatchCount);
        positive("max-concurrency", maxBatchConcurrency);
        positive("max-vms-in-flight", maxVmsInFlight);
        positive("max-mem-mib-per-vm", maxMemMibPerVm);
        positive("max-total-mem-mib", maxTotalMemMib);
        positive("max-active-batches", maxActiveBatches);
    }

    /** Reads hatchery.batch.* and hatchery.limits.*. */
    public static Limits fromConfig(final Config config)
    {
        return new Limits(config.getInt("hatchery.batch.max-count"), config.getInt("hatchery.batch.max-concurrency"),
            config.getInt("hatchery.limits.max-vms-in-flight"), config.getInt("hatchery.limits.max-mem-mib-per-vm"),
            config.getLong("hatchery.limits.max-total-mem-mib"), config.getInt("hatchery.limits.max-active-batches"));
    }

    /** Appends every limit in the Prometheus text format, one labelled gauge: what bounds the service, beside what it bounds. */
    void render(final StringBuilder sb)
    {
        sb.append("# HELP hatchery_limit The service's limits (hatchery.batch.*, hatchery.limits.*; memory in MiB).\n");
        sb.append("# TYPE hatchery_limit gauge\n");
        limit(sb, "max-count", maxBatchCount);
        limit(sb, "max-concurrency", maxBatchConcurrency);
        limit(sb, "max-vms-in-flight", maxVmsInFlight);
        limit(sb, "max-mem-mib-per-vm", maxMemMibPerVm);
        limit(sb, "max-total-mem-mib", maxTotalMemMib);
        limit(sb, "max-active-batches", maxActiveBatches);
    }

    private static void limit(final StringBuilder sb, final String name, final long value)
    {
        sb.append("hatchery_limit{name=\"").append(name).append("\"} ").append(value).append('\n');
    }

    private static void positive(final String name, final long value)
    {
        if (value < 1)
        {
            throw new IllegalArgumentException("hatchery limit " + name + " must be at least 1: " + name + "=" + value);
        }
    }
}
