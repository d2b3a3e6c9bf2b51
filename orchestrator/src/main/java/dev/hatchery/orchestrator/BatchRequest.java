package dev.hatchery.orchestrator;

import dev.hatchery.config.InvalidSpecException;
import dev.hatchery.config.SpecField;
import dev.hatchery.config.VmSpec;

/**
 * A batch load test: {@code count} VMs of one spec, at most {@code concurrency} in flight at once.
 * {@code stopAtBootComplete}: stop each VM as soon as it signals (measures boots), or let it run until
 * the guest ends it or the batch is cancelled.
 */
public record BatchRequest(String kernelName, VmSpec spec, int count, int concurrency, boolean stopAtBootComplete)
{
    /** Checks the numbers against the service's limits, naming the field, the value and the allowed range. */
    public BatchRequest validate(final int maxCount, final int maxConcurrency)
    {
        if (count < 1 || count > maxCount)
        {
            throw new InvalidSpecException(SpecField.COUNT, "count=" + count, "must be between 1 and " + maxCount);
        }
        if (concurrency < 1 || concurrency > maxConcurrency)
        {
            throw new InvalidSpecException(SpecField.CONCURRENCY, "concurrency=" + concurrency, "must be between 1 and " + maxConcurrency);
        }
        if (spec == null)
        {
            throw new InvalidSpecException(SpecField.SPEC, "missing", "give the VM spec");
        }
        return this;
    }
}
