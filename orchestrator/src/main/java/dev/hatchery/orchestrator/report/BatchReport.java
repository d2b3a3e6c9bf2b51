package dev.hatchery.orchestrator.report;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.List;

/**
 * The outcome of one batch of VMs: what ran, how each VM ended, how fast, and at what cost. Serialised
 * as JSON by its component names, which consumers read: rename nothing without updating them.
 * Invariant: {@code booted + failed + timedOut + cancelled} is the number of VMs recorded (checked by
 * {@link BatchRecorder#finish}).
 *
 * @param kernel              the kernel the VMs booted (catalog name or path)
 * @param count               VMs the batch was asked to run
 * @param concurrency         most VMs in flight at once
 * @param memoryMode          how guest memory was provided
 * @param booted              VMs that reached boot-complete
 * @param failed              VMs that failed before boot-complete or broke down
 * @param timedOut            VMs without boot-complete within the boot timeout
 * @param cancelled           VMs stopped on request before boot-complete
 * @param wallSeconds         wall time from the batch's start to its end
 * @param throughputPerSecond booted VMs per wall second
 * @param latencyMicros       spawn (VM request) to boot-complete, over every VM that reached it
 * @param phases              time from the VM request to each phase, keyed by {@link dev.hatchery.vm.Phase#jsonKey()}
 *                            (e.g. {@code memoryReady}) in phase order, only phases some VM reached
 * @param spans               where boot time went: per VM, the time between two phases, keyed by
 *                            {@link dev.hatchery.vm.Span#jsonKey()} ({@code vmm}, {@code guest}, {@code kernel},
 *                            {@code init}) in that order, only spans some VM had both ends of (the guest reports
 *                            kernel entry and /init started)
 * @param hostCpuSeconds      CPU time this process spent on the batch; -1 if unknown
 * @param peakRssBytes        this process's peak resident set; -1 if unknown
 * @param memoryPerVmBytes    peak RSS growth over the pre-batch baseline divided by the VMs resident at once
 *                            (min(count, concurrency)); -1 if unknown
 * @param guestMemoryPerVmBytes of that, guest RAM the guest made its own (pages it wrote, counted from /proc/self/pagemap
 *                            just before the RAM is unmapped, on a sample of the VMs); -1 if unknown
 * @param hostOverheadPerVmBytes the rest: {@code memoryPerVmBytes - guestMemoryPerVmBytes} (VMM structures, thread
 *                            stacks, the JVM's own growth), at least 0; -1 if unknown
 * @param failures            VMs that did not boot, grouped by failure code and summary, largest group first
 * @param spawnPaths          VMs built per spawn path, keyed by {@link dev.hatchery.vm.SpawnPath#jsonKey()} ({@code shell}: from a
 *                            shell made ahead; {@code recycled}: a shell reset after an earlier VM; {@code direct}: every
 *                            step on the spawn path; {@code clone}: restored from a clone template); VMs never built are not counted
 * @param lab                 true when timings come from an emulated lab, not KVM
 * @param environment         where it ran, e.g. "native KVM" or "lab (emulated ...)"
 * @param startedAt           ISO-8601 instant the batch started
 * @param spawn               how the VMs came to be: {@code boot} or {@code clone}
 * @param cloneTemplate       with spawn=clone, the template the clones were made from; else null
 * @param nodes               a cluster batch's figures per node (README "Cluster"), keyed by node; empty for a batch of one node
 */
public record BatchReport(
    String kernel,
    int count,
    int concurrency,
    String memoryMode,
    int booted,
    int failed,
    int timedOut,
    int cancelled,
    double wallSeconds,
    double throughputPerSecond,
    LatencySummary latencyMicros,
    Map<String, LatencySummary> phases,
    Map<String, LatencySummary> spans,
    double hostCpuSeconds,
    long peakRssBytes,
    long memoryPerVmBytes,
    long guestMemoryPerVmBytes,
    long hostOverheadPerVmBytes,
    List<FailureGroup> failures,
    Map<String, Integer> spawnPaths,
    boolean lab,
    String environment,
    String startedAt,
    String spawn,
    CloneTemplateSummary cloneTemplate,
    Map<String, NodeFigures> nodes)
{
    /** A batch of one node (no per-node breakdown). */
    public BatchReport(final String kernel, final int count, final int concurrency, final String memoryMode, final int booted, final int failed,
        final int timedOut, final int cancelled, final double wallSeconds, final double throughputPerSecond, final LatencySummary latencyMicros,
        final Map<String, LatencySummary> phases, final Map<String, LatencySummary> spans, final double hostCpuSeconds, final long peakRssBytes,
        final long memoryPerVmBytes, final long guestMemoryPerVmBytes, final long hostOverheadPerVmBytes, final List<FailureGroup> failures,
        final Map<String, Integer> spawnPaths, final boolean lab, final String environment, final String startedAt, final String spawn,
        final CloneTemplateSummary cloneTemplate)
    {
        this(kernel, count, concurrency, memoryMode, booted, failed, timedOut, cancelled, wallSeconds, throughputPerSecond, latencyMicros, phases,
            spans, hostCpuSeconds, peakRssBytes, memoryPerVmBytes, guestMemoryPerVmBytes, hostOverheadPerVmBytes, failures, spawnPaths, lab,
            environment, startedAt, spawn, cloneTemplate, Map.of());
    }

    public BatchReport
    {
        latencyMicros = latencyMicros == null ? LatencySummary.empty() : latencyMicros;
        phases = phases == null ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(phases));
        spans = spans == null ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(spans));
        failures = failures == null ? List.of() : List.copyOf(failures);
        spawnPaths = spawnPaths == null ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(spawnPaths));
        spawn = spawn == null ? "boot" : spawn;
        nodes = nodes == null ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(nodes));
    }
}
