package dev.hatchery.orchestrator;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import dev.hatchery.config.MemoryMode;
import dev.hatchery.config.SpawnMode;
import dev.hatchery.config.VmSpec;
import dev.hatchery.orchestrator.report.BatchReport;
import dev.hatchery.orchestrator.report.FlameGraphProfile;
import dev.hatchery.orchestrator.report.HtmlReport;
import dev.hatchery.orchestrator.report.JsonReport;
import dev.hatchery.orchestrator.report.TerminalReport;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** Runs a batch load test and reports throughput and latency percentiles (terminal, JSON, HTML). */
@Command(name = "batch", description = "Boot a batch of microVMs and report throughput and latency percentiles.")
final class BatchCommand implements Callable<Integer>
{
    private static final long PROGRESS_INTERVAL_MS = 250;
    static final int DEFAULT_CONCURRENCY = 8;
    /**
     * In the emulated lab, more than two Linux guests in flight at once stalled nested KVM under QEMU TCG
     * (QEMU busy, no guest progress for minutes; two at a time boot in seconds), so the lab defaults low.
     */
    static final int LAB_CONCURRENCY = 2;

    @CommandLine.Spec
    private CommandLine.Model.CommandSpec spec;

    @CommandLine.Mixin
    private VmSpecOptions vm;

    @CommandLine.Option(names = "--count", defaultValue = "100", description = "VMs in the batch (default: ${DEFAULT-VALUE})")
    private int count;

    @CommandLine.Option(names = "--concurrency",
        description = "VMs in flight at once (default: " + DEFAULT_CONCURRENCY + "; " + LAB_CONCURRENCY + " in the emulated lab)")
    private Integer concurrency;

    @CommandLine.Option(names = "--stay-up", description = "let VMs run after boot-complete until the guest stops (default: stop each VM at boot-complete)")
    private boolean stayUp;

    @CommandLine.Option(names = "--json", description = "write the report as JSON to this file")
    private Path json;

    @CommandLine.Option(names = "--html", description = "write the report as a self-contained HTML page to this file")
    private Path html;

    @CommandLine.Option(names = "--compare", description = "run the batch with the copy path, then the template path, and compare them")
    private boolean compare;

    @CommandLine.Option(names = "--compare-spawn", description = "run the batch booting every VM, then as clones of one template VM "
        + "(spawn=clone), in the same process, and compare them")
    private boolean compareSpawn;

    @CommandLine.Option(names = "--no-progress", description = "do not draw the progress bar")
    private boolean noProgress;

    @CommandLine.Option(names = "--profile", description = "record host CPU by stack while the batch runs (JFR) and write a "
        + "self-contained HTML flame graph to this file (the recording itself goes to FILE.jfr)")
    private Path profile;

    @CommandLine.Option(names = "--shells", description = "VM shells kept ready per machine shape: KVM-wide setup done ahead of "
        + "spawns, refilled in the background; 0 builds every VM on the spawn path (default: hatchery.shells.depth, 16)")
    private Integer shells;

    @CommandLine.Option(names = "--recycle", negatable = true, description = "reset the shell of a VM that ended cleanly and reuse it "
        + "instead of destroying it; --no-recycle destroys every ended VM (default: hatchery.shells.recycle, on)")
    private Boolean recycle;

    @Override
    public Integer call() throws IOException
    {
        if (shells != null && shells < 0)
        {
            throw new CommandLine.ParameterException(spec.commandLine(), "--shells must be 0 (off) or more: --shells " + shells);
        }
        if (compare && compareSpawn)
        {
            throw new CommandLine.ParameterException(spec.commandLine(), "--compare and --compare-spawn each run two batches: give one of them");
        }
        LabOutput.requireShared("--json", json, System.getenv());
        LabOutput.requireShared("--html", html, System.getenv());
        LabOutput.requireShared("--profile", profile, System.getenv());
        final PrintWriter out = spec.commandLine().getOut();
        final VmSpec vmSpec = vm.toSpec(KernelCatalog.fromEnvironment(System.getenv()), false);
        try (Hatchery hatchery = startHatchery(); FlameGraphProfile profiler = profile == null ? null : FlameGraphProfile.start(profile))
        {
            if (compareSpawn)
            {
                final BatchReport boot = run(hatchery, vmSpec.toBuilder().spawn(SpawnMode.BOOT).conclude());
                final BatchReport clone = run(hatchery, vmSpec.toBuilder().spawn(SpawnMode.CLONE).conclude());
                writeProfile(profiler, vmSpec);
                return printPair(out, "boot (every VM boots its kernel)", boot, "-boot",
                    "clone (every VM a copy-on-write clone of one template VM captured at its ready point)", clone, "-clone",
                    Comparison.renderSpawn(boot, clone));
            }
            if (!compare)
            {
                final BatchReport report = run(hatchery, vmSpec);
                writeProfile(profiler, vmSpec);
                out.print(TerminalReport.render(report));
                write(report, json, html, "");
                out.flush();
                return report.booted() == report.count() ? 0 : 1;
            }
            final BatchReport copy = run(hatchery, vmSpec.toBuilder().memoryMode(MemoryMode.COPY).conclude());
            final BatchReport template = run(hatchery, vmSpec.toBuilder().memoryMode(MemoryMode.TEMPLATE).conclude());
            writeProfile(profiler, vmSpec);
            return printPair(out, "copy path (the kernel copied into every VM)", copy, "-copy",
                "template path (copy-on-write mapping of the kernel's template)", template, "-template", Comparison.render(copy, template));
        }
    }

    /** Two batches of one comparison: each report under its heading, the comparison, each written with its suffix. */
    private int printPair(final PrintWriter out, final String firstHeading, final BatchReport first, final String firstSuffix,
        final String secondHeading, final BatchReport second, final String secondSuffix, final String comparison) throws IOException
    {
        out.println("== " + firstHeading + " ==");
        out.print(TerminalReport.render(first));
        out.println("== " + secondHeading + " ==");
        out.print(TerminalReport.render(second));
        out.print(comparison);
        write(first, json, html, firstSuffix);
        write(second, json, html, secondSuffix);
        out.flush();
        return first.booted() == first.count() && second.booted() == second.count() ? 0 : 1;
    }

    /** The service with application.conf, and --shells and --recycle over hatchery.shells.* when given. */
    private Hatchery startHatchery()
    {
        com.typesafe.config.Config config = com.typesafe.config.ConfigFactory.load();
        config = shells == null ? config : Hatchery.withShellDepth(config, shells);
        config = recycle == null ? config : Hatchery.withShellRecycling(config, recycle);
        return Hatchery.start(config, KernelCatalog.fromEnvironment(System.getenv()));
    }

    private void writeProfile(final FlameGraphProfile profiler, final VmSpec vmSpec) throws IOException
    {
        if (profiler != null)
        {
            final Path recording = profiler.write("hatchery batch: " + count + " x " + vm.kernelName() + " ("
                + vmSpec.memoryMode().name().toLowerCase(Locale.ROOT) + "), " + Environment.describe());
            spec.commandLine().getErr().println("hatchery: flame graph of host CPU written to " + profile + " (recording: " + recording + ")");
        }
    }

    private BatchReport run(final Hatchery hatchery, final VmSpec vmSpec)
    {
        final int inFlight = concurrency != null ? concurrency : Environment.inLab() ? LAB_CONCURRENCY : DEFAULT_CONCURRENCY;
        final BatchHandle handle = hatchery.submit(new BatchRequest(vm.kernelName(), vmSpec, count, inFlight, !stayUp))
            .toCompletableFuture().join();
        final CompletableFuture<BatchReport> report = handle.report().toCompletableFuture();
        final PrintWriter err = spec.commandLine().getErr();
        while (true)
        {
            try
            {
                final BatchReport done = report.get(PROGRESS_INTERVAL_MS, TimeUnit.MILLISECONDS);
                if (!noProgress)
                {
                    err.println(ProgressBar.render(handle.progress().get(), vmSpec.memoryMode().name().toLowerCase(Locale.ROOT)));
                    err.flush();
                }
                return done;
            }
            catch (final TimeoutException ex)
            {
                if (!noProgress)
                {
                    err.print(ProgressBar.render(handle.progress().get(), vmSpec.memoryMode().name().toLowerCase(Locale.ROOT)) + "\r");
                    err.flush();
                }
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for batch " + handle.id(), ex);
            }
            catch (final java.util.concurrent.ExecutionException ex)
            {
                throw new IllegalStateException("batch " + handle.id() + " failed: " + ex.getCause().getMessage(), ex.getCause());
            }
        }
    }

    private static void write(final BatchReport report, final Path json, final Path html, final String suffix) throws IOException
    {
        if (json != null)
        {
            JsonReport.write(report, withSuffix(json, suffix));
        }
        if (html != null)
        {
            HtmlReport.write(report, withSuffix(html, suffix));
        }
    }

    /** report.json + "-copy" = report-copy.json */
    static Path withSuffix(final Path path, final String suffix)
    {
        if (suffix.isEmpty())
        {
            return path;
        }
        final String name = path.getFileName().toString();
        final int dot = name.lastIndexOf('.');
        final String renamed = dot > 0 ? name.substring(0, dot) + suffix + name.substring(dot) : name + suffix;
        return path.resolveSibling(renamed);
    }
}
