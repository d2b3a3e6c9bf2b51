package dev.hatchery.orchestrator.report;

import java.time.Clock;
import java.time.Instant;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.HashMap;
import java.util.List;
import java.util.function.Function;

import dev.hatchery.vm.Phase;
import dev.hatchery.vm.SpawnPath;
import dev.hatchery.vm.Span;
import dev.hatchery.vm.Timeline;
import dev.hatchery.vm.VmFailure;
import dev.hatchery.vm.VmOutcome;
import dev.hatchery.vm.VmResult;

import org.HdrHistogram.Histogram;

/**
 * Accumulates the results of one batch into a {@link BatchReport}. Not thread-safe: one actor owns it
 * and feeds it from its message handler, so it needs no locking. Call {@link #start}, then
 * {@link #record} once per VM, then {@link #finish}.
 */
public final class BatchRecorder
{
    /** 3 significant digits: 0.1% error, ample for boot times; values auto-resize, so no range to outgrow. */
    private static final int SIGNIFICANT_DIGITS = 3;

    /**
     * What the batch was asked to do and where it ran.
     *
     * @param environment where it ran, e.g. "native KVM" or "lab (emulated ...)"
     */
    public record Settings(String kernel, int count, int concurrency, String memoryMode, boolean lab, String environment)
    {
        public Settings
        {
            Objects.requireNonNull(kernel, "kernel");
            Objects.requireNonNull(memoryMode, "memoryMode");
            Objects.requireNonNull(environment, "environment");
            if (count < 0)
            {
                throw new IllegalArgumentException("count must not be negative: count=" + count);
            }
            if (concurrency < 1)
            {
                throw new IllegalArgumentException("concurrency must be at least 1: concurrency=" + concurrency);
            }
        }
    }

    private final Settings settings;
    private final Clock clock;
    private final EnumMap<VmOutcome.Kind, Integer> outcomes = new EnumMap<>(VmOutcome.Kind.class);
    private final Histogram bootLatencyNanos = new Histogram(SIGNIFICANT_DIGITS);
    private final EnumMap<Phase, Histogram> phaseNanos = new EnumMap<>(Phase.class);
    private final EnumMap<Span, Histogram> spanNanos = new EnumMap<>(Span.class);
    /** Keyed by failure code and summary: the grouping, never the per-VM detail. */
    private final Map<List<String>, FailureGroup> failures = new HashMap<>();
    private final EnumMap<SpawnPath, Integer> spawnPaths = new EnumMap<>(SpawnPath.class);
    private boolean started;
    private CloneTemplateSummary cloneTemplate;
    private long wallStartNanos;
    private Instant startedAt;
    private int recorded;

    public BatchRecorder(final Settings settings)
    {
        this(settings, Clock.systemUTC());
    }

    /** With the clock that dates the report's {@code startedAt}. */
    public BatchRecorder(final Settings settings, final Clock clock)
    {
        this.settings = Objects.requireNonNull(settings, "settings");
        this.clock = Objects.requireNonNull(clock, "clock");
        for (final VmOutcome.Kind kind : VmOutcome.Kind.values())
        {
            outcomes.put(kind, 0);
        }
    }

    /** Whether {@link #start} was called: a batch's VMs are recorded only once it has started. */
    public boolean isStarted()
    {
        return started;
    }

    /** Marks the batch's start; {@code wallStartNanos} is a System.nanoTime reading, like every Timeline mark. */
    public void start(final long wallStartNanos)
    {
        if (started)
        {
            throw new IllegalStateException("batch already started: kernel=" + settings.kernel()
                + " startedAt=" + startedAt);
        }
        this.started = true;
        this.wallStartNanos = wallStartNanos;
        this.startedAt = clock.instant();
    }

    /** Counts one VM's outcome and adds whatever timings its timeline holds. */
    public void record(final VmResult result)
    {
        if (!started)
        {
            throw new IllegalStateException("record before start: vmId=" + result.vmId());
        }
        final VmOutcome outcome = result.outcome();
        outcomes.merge(outcome.kind(), 1, Integer::sum);
        final VmFailure failure = outcome.failure();
        if (failure != null)
        {
            failures.merge(List.of(failure.code(), failure.summary()),
                new FailureGroup(failure.code(), failure.stage().label(), failure.summary(), 1, result.vmId(), failure.detail()),
                (group, first) -> group.plusOne());
        }
        if (result.spawnPath() != SpawnPath.NONE)
        {
            spawnPaths.merge(result.spawnPath(), 1, Integer::sum);
        }
        recordTimings(result.timeline());
        recorded++;
    }

    /** VMs recorded so far. */
    public int recorded()
    {
        return recorded;
    }

    /** Builds the report; the recorder may go on recording and finish again later (e.g. for a progress report). */
    /** The batch's VMs are clones of this template (spawn=clone): the report shows it apart from the clones. */
    public void cloneTemplate(final CloneTemplateSummary template)
    {
        cloneTemplate = template;
    }

    public BatchReport finish(final long wallEndNanos, final ResourceUsage usage)
    {
        if (!started)
        {
            throw new IllegalStateException("finish before start: kernel=" + settings.kernel() + " recorded=" + recorded);
        }
        final int booted = outcomes.get(VmOutcome.Kind.BOOTED);
        final int failed = outcomes.get(VmOutcome.Kind.FAILED);
        final int timedOut = outcomes.get(VmOutcome.Kind.TIMED_OUT);
        final int cancelled = outcomes.get(VmOutcome.Kind.CANCELLED);
        if (booted + failed + timedOut + cancelled != recorded)
        {
            throw new IllegalStateException("outcomes do not add up to the VMs recorded: booted=" + booted
                + " failed=" + failed + " timedOut=" + timedOut + " cancelled=" + cancelled + " recorded=" + recorded);
        }
        final double wallSeconds = (wallEndNanos - wallStartNanos) / 1e9;
        final double throughput = wallSeconds > 0 ? booted / wallSeconds : 0.0;
        return new BatchReport(
            settings.kernel(),
            settings.count(),
            settings.concurrency(),
            settings.memoryMode(),
            booted,
            failed,
            timedOut,
            cancelled,
            wallSeconds,
            throughput,
            LatencySummary.of(bootLatencyNanos),
            summaries(phaseNanos, Phase::jsonKey),
            summaries(spanNanos, Span::jsonKey),
            usage.hostCpuSeconds(),
            usage.peakRssBytes(),
            memoryPerVmBytes(usage),
            usage.guestPrivateBytesPerVm(),
            hostOverheadPerVmBytes(usage),
            failures.values().stream().sorted(FailureGroup.LARGEST_FIRST).toList(),
            spawnPathCounts(),
            settings.lab(),
            settings.environment(),
            startedAt.toString(),
            cloneTemplate == null ? "boot" : "clone",
            cloneTemplate);
    }

    private void recordTimings(final Timeline timeline)
    {
        // Without the origin every duration would be a raw nanoTime reading, not a duration.
        if (timeline == null || !timeline.reached(Phase.REQUEST))
        {
            return;
        }
        final long bootNanos = timeline.sinceRequest(Phase.BOOT_COMPLETE);
        if (bootNanos >= 0)
        {
            bootLatencyNanos.recordValue(bootNanos);
        }
        for (final Phase phase : Phase.values())
        {
            final long sinceRequest = timeline.sinceRequest(phase);
            // REQUEST is the origin, always 0; a negative duration means marks from unrelated clocks: skip both.
            if (phase != Phase.REQUEST && sinceRequest >= 0)
            {
                phaseNanos.computeIfAbsent(phase, p -> new Histogram(SIGNIFICANT_DIGITS)).recordValue(sinceRequest);
            }
        }
        // Per VM, then summarised: a percentile of differences is not the difference of percentiles.
        for (final Span span : Span.values())
        {
            final long nanos = span.nanos(timeline);
            if (nanos >= 0)
            {
                spanNanos.computeIfAbsent(span, s -> new Histogram(SIGNIFICANT_DIGITS)).recordValue(nanos);
            }
        }
    }

    private Map<String, Integer> spawnPathCounts()
    {
        final Map<String, Integer> counts = new LinkedHashMap<>();
        spawnPaths.forEach((path, count) -> counts.put(path.jsonKey(), count));
        return counts;
    }

    /** Keyed by the enum's JSON key; an EnumMap iterates in declaration order, which for phases is the order they happen. */
    private static <E extends Enum<E>> Map<String, LatencySummary> summaries(final EnumMap<E, Histogram> histograms,
        final Function<E, String> jsonKey)
    {
        final Map<String, LatencySummary> summaries = new LinkedHashMap<>();
        for (final Map.Entry<E, Histogram> entry : histograms.entrySet())
        {
            summaries.put(jsonKey.apply(entry.getKey()), LatencySummary.of(entry.getValue()));
        }
        return summaries;
    }

    private long hostOverheadPerVmBytes(final ResourceUsage usage)
    {
        final long perVm = memoryPerVmBytes(usage);
        return perVm < 0 || usage.guestPrivateBytesPerVm() < 0 ? -1 : Math.max(0, perVm - usage.guestPrivateBytesPerVm());
    }

    /**
     * Peak RSS growth over the baseline divided by the VMs resident at once: at most min(count, concurrency)
     * VMs were alive together, and the peak is when they all were.
     */
    private long memoryPerVmBytes(final ResourceUsage usage)
    {
        if (usage.peakRssBytes() < 0 || usage.baselineRssBytes() < 0)
        {
            return -1;
        }
        final long growth = Math.max(0, usage.peakRssBytes() - usage.baselineRssBytes());
        return growth / Math.max(1, Math.min(settings.count(), settings.concurrency()));
    }
}
