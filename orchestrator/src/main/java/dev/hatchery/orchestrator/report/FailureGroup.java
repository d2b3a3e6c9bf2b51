package dev.hatchery.orchestrator.report;

import java.util.Comparator;
import java.util.Objects;

/**
 * The VMs of a batch that ended the same way without booting: one group per failure code and summary, so
 * 1000 guests that triple-fault show as one group of 1000. One VM of the group is named, with its own detail,
 * as an example to look at.
 *
 * @param code          the failure's stable identifier, e.g. {@code triple_fault}, {@code boot_timeout}
 * @param stage         where in a VM's life it failed: preparation, build, guest, timeout, cancelled, host
 * @param summary       what went wrong, the same for every VM of the group
 * @param count         VMs in the group
 * @param exampleVmId   the first VM that failed this way
 * @param exampleDetail that VM's own facts (e.g. {@code rip=0x1000}), "" when there are none
 */
public record FailureGroup(String code, String stage, String summary, int count, String exampleVmId, String exampleDetail)
{
    /** Largest group first; ties by code, then summary, so a report reads the same every time. */
    public static final Comparator<FailureGroup> LARGEST_FIRST = Comparator.comparingInt(FailureGroup::count).reversed()
        .thenComparing(FailureGroup::code).thenComparing(FailureGroup::summary);

    public FailureGroup
    {
        Objects.requireNonNull(code, "code");
        Objects.requireNonNull(stage, "stage");
        Objects.requireNonNull(summary, "summary");
        Objects.requireNonNull(exampleVmId, "exampleVmId");
        Objects.requireNonNull(exampleDetail, "exampleDetail");
        if (count < 1)
        {
            throw new IllegalArgumentException("a failure group holds at least one VM: code=" + code + " count=" + count);
        }
    }

    FailureGroup plusOne()
    {
        return new FailureGroup(code, stage, summary, count + 1, exampleVmId, exampleDetail);
    }
}
