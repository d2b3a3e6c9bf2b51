package dev.hatchery.orchestrator;

import java.util.Locale;

import dev.hatchery.orchestrator.report.BatchReport;
import dev.hatchery.orchestrator.report.LatencySummary;
import dev.hatchery.vm.Phase;

/** Copy path against template path, measured in the same run: the ratios that matter. */
final class Comparison
{
    private Comparison()
    {
    }

    static String render(final BatchReport copy, final BatchReport template)
    {
        final StringBuilder sb = new StringBuilder("== template vs copy (same run, same machine: " + template.environment() + ") ==\n");
        sb.append(line("throughput (boots/s)", copy.throughputPerSecond(), template.throughputPerSecond(), Better.HIGHER));
        sb.append(line("spawn->boot-complete p50 (ms)", copy.latencyMicros().p50() / 1000.0, template.latencyMicros().p50() / 1000.0,
            Better.LOWER));
        final LatencySummary copyLoad = copy.phases().get(Phase.KERNEL_LOADED.jsonKey());
        final LatencySummary templateLoad = template.phases().get(Phase.KERNEL_LOADED.jsonKey());
        if (copyLoad != null && templateLoad != null)
        {
            sb.append(line("request->load_kernel p50 (ms)", copyLoad.p50() / 1000.0, templateLoad.p50() / 1000.0, Better.LOWER));
        }
        return sb.toString();
    }

    /** Boot against clone for the same spec, measured in the same run: how much a clone saves over a boot. */
    static String renderSpawn(final BatchReport boot, final BatchReport clone)
    {
        final StringBuilder sb = new StringBuilder("== clone vs boot (same run, same machine: " + clone.environment() + ") ==\n");
        sb.append(line("throughput (VMs/s)", "boot", boot.throughputPerSecond(), "clone", clone.throughputPerSecond(), Better.HIGHER));
        sb.append(line("spawn->boot-complete p50 (ms)", "boot", boot.latencyMicros().p50() / 1000.0, "clone",
            clone.latencyMicros().p50() / 1000.0, Better.LOWER));
        sb.append(line("spawn->boot-complete p99 (ms)", "boot", boot.latencyMicros().p99() / 1000.0, "clone",
            clone.latencyMicros().p99() / 1000.0, Better.LOWER));
        if (clone.cloneTemplate() != null)
        {
            sb.append(String.format(Locale.ROOT, "  clone template: made once in %.1f ms, %.1f MiB captured (not in the clone figures)%n",
                clone.cloneTemplate().prepareMillis(), clone.cloneTemplate().capturedBytes() / 1048576.0));
        }
        return sb.toString();
    }

    /** Which way a measure improves; the ratio printed is always "how many times better the template is". */
    enum Better
    {
        HIGHER("x faster"),
        LOWER("x lower");

        private final String wording;

        Better(final String wording)
        {
            this.wording = wording;
        }

        double templateAdvantage(final double copy, final double template)
        {
            return this == HIGHER ? template / copy : copy / template;
        }
    }

    /** One measure of two variants, and how many times better the second ({@code b}) is. */
    static String line(final String what, final String aName, final double a, final String bName, final double b, final Better better)
    {
        return String.format(Locale.ROOT, "  %-32s %s %12.3f   %s %12.3f   %8.2f %s%n", what, aName, a, bName, b,
            better.templateAdvantage(a, b), better.wording);
    }

    static String line(final String what, final double copy, final double template, final Better better)
    {
        return String.format(Locale.ROOT, "  %-32s copy %12.3f   template %12.3f   %8.2f %s%n", what, copy, template,
            better.templateAdvantage(copy, template), better.wording);
    }
}
