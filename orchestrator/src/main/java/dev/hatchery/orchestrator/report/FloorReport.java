package dev.hatchery.orchestrator.report;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.function.ToDoubleFunction;

/**
 * The floor benchmark's result: the C floor VMM (the baseline, first) and Hatchery's variants, each measured once
 * per round, the variants taking turns within a round in one run. Every figure is the median over rounds of that
 * round's figure (lab runs drift between runs, so variants are interleaved and compared by medians); a ratio is a
 * variant's median over the baseline's. {@link TerminalReport#render(FloorReport)} formats it.
 *
 * @param count       VMs per variant per round
 * @param concurrency VMs in flight: C VMM processes, and Hatchery's batch concurrency
 * @param variants    the baseline first; every variant has one report per round
 * @param targets     the goals to report against (never asserted)
 * @param notes       lines to show under the table, e.g. a variant that could not run
 */
public record FloorReport(int count, int concurrency, int rounds, boolean lab, String environment, List<Variant> variants,
    List<Target> targets, List<String> notes)
{
    /** One VMM configuration and its batch report of each round. */
    public record Variant(String name, List<BatchReport> rounds)
    {
        public Variant
        {
            Objects.requireNonNull(name, "name");
            rounds = List.copyOf(rounds);
        }

        /** Median over rounds of {@code figure}, skipping rounds where it is NaN (not measured); NaN when none has it. */
        public double median(final ToDoubleFunction<BatchReport> figure)
        {
            return FloorReport.median(rounds.stream().mapToDouble(figure).filter(value -> !Double.isNaN(value)).toArray());
        }

        /** Booted VMs over all rounds. */
        public int booted()
        {
            return rounds.stream().mapToInt(BatchReport::booted).sum();
        }

        /** VMs asked for over all rounds. */
        public int count()
        {
            return rounds.stream().mapToInt(BatchReport::count).sum();
        }
    }

    /** A figure every round's report has; lower or higher is better. */
    public enum Figure
    {
        BOOT_P50("spawn\u2192boot-complete p50 (ms)", false, report -> ms(report.latencyMicros(), report.latencyMicros().p50())),
        BOOT_P99("spawn\u2192boot-complete p99 (ms)", false, report -> ms(report.latencyMicros(), report.latencyMicros().p99())),
        THROUGHPUT("throughput (VMs/s)", true, report -> report.booted() == 0 ? Double.NaN : report.throughputPerSecond());

        private final String label;
        private final boolean higherIsBetter;
        private final ToDoubleFunction<BatchReport> value;

        Figure(final String label, final boolean higherIsBetter, final ToDoubleFunction<BatchReport> value)
        {
            this.label = label;
            this.higherIsBetter = higherIsBetter;
            this.value = value;
        }

        public String label()
        {
            return label;
        }

        public boolean higherIsBetter()
        {
            return higherIsBetter;
        }

        public double of(final BatchReport report)
        {
            return value.applyAsDouble(report);
        }
    }

    /**
     * A goal: {@code variant}'s {@code figure} over the baseline's should be at most (or, {@code atLeast}, at least) {@code limit}.
     *
     * @param what in words, e.g. "flat spawn→boot-complete p50 ≤ 1.0× C"
     */
    public record Target(String what, String variant, Figure figure, double limit, boolean atLeast)
    {
        public boolean met(final double ratio)
        {
            return !Double.isNaN(ratio) && (atLeast ? ratio >= limit : ratio <= limit);
        }
    }

    public FloorReport
    {
        Objects.requireNonNull(environment, "environment");
        variants = List.copyOf(variants);
        targets = List.copyOf(targets);
        notes = List.copyOf(notes);
        if (variants.isEmpty())
        {
            throw new IllegalArgumentException("a floor report needs the baseline variant: variants=0");
        }
    }

    public Variant baseline()
    {
        return variants.get(0);
    }

    /** The variant of that name, or null. */
    public Variant variant(final String name)
    {
        return variants.stream().filter(v -> v.name().equals(name)).findFirst().orElse(null);
    }

    /** Median over rounds of a phase's p50 from the request, in ms; NaN when no round reached it. */
    public static double phaseP50Ms(final Variant variant, final String phaseKey)
    {
        return variant.median(report ->
        {
            final LatencySummary phase = report.phases().get(phaseKey);
            return phase == null ? Double.NaN : ms(phase, phase.p50());
        });
    }

    /** The phase keys any variant reached, in the order the first report that has each lists them (phase order). */
    public List<String> phaseKeys()
    {
        final List<String> keys = new ArrayList<>();
        for (final Variant variant : variants)
        {
            for (final BatchReport round : variant.rounds())
            {
                for (final String key : round.phases().keySet())
                {
                    if (!keys.contains(key))
                    {
                        keys.add(key);
                    }
                }
            }
        }
        return keys;
    }

    /** The variant's median of {@code figure} over the baseline's. */
    public double ratio(final Variant variant, final Figure figure)
    {
        return variant.median(figure::of) / baseline().median(figure::of);
    }

    /** Per round: the variant's figure over the baseline's in the same round (NaN where either is missing). */
    public double[] roundRatios(final Variant variant, final Figure figure)
    {
        final int n = Math.min(variant.rounds().size(), baseline().rounds().size());
        final double[] ratios = new double[n];
        for (int i = 0; i < n; i++)
        {
            ratios[i] = figure.of(variant.rounds().get(i)) / figure.of(baseline().rounds().get(i));
        }
        return ratios;
    }

    /** The median; NaN for none. An even count gives the mean of the middle two. */
    static double median(final double[] values)
    {
        if (values.length == 0)
        {
            return Double.NaN;
        }
        final double[] sorted = values.clone();
        Arrays.sort(sorted);
        final int mid = sorted.length / 2;
        return sorted.length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    }

    private static double ms(final LatencySummary summary, final long micros)
    {
        return summary.count() == 0 ? Double.NaN : micros / 1_000.0;
    }
}
