package dev.hatchery.orchestrator;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;

import dev.hatchery.config.SpawnMode;
import dev.hatchery.config.VmSpec;
import dev.hatchery.vm.VmOutcome;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * Host memory per live idle VM: N Linux guests that stay up after boot-complete (/init idles with
 * {@code hatchery.stay=1}), all alive at once, for each spawn mode; what the process and the host hold grows by is
 * divided by N. Clones share their template's pages copy-on-write, booted VMs each hold a booted kernel of their own.
 */
@Command(name = "alive", description = "Host memory per live idle Linux VM, N alive at once: clones of one template against "
    + "VMs that each booted (default: 100 each).")
final class AliveCommand implements Callable<Integer>
{
    private static final String STAY_WORD = "hatchery.stay=1";

    @CommandLine.Spec
    private CommandLine.Model.CommandSpec spec;

    @CommandLine.Option(names = "--count", defaultValue = "100", description = "VMs alive at once per spawn mode (default: ${DEFAULT-VALUE})")
    private int count;

    @CommandLine.Option(names = "--spawn", defaultValue = "clone,boot", split = ",",
        description = "spawn modes to measure, in order (default: ${DEFAULT-VALUE})")
    private List<String> modes;

    @CommandLine.Option(names = "--mem-mib", defaultValue = "128", description = "guest RAM per VM in MiB (default: ${DEFAULT-VALUE})")
    private int memMib;

    @CommandLine.Option(names = "--boot-timeout-ms", defaultValue = "600000", description = "per VM (default: ${DEFAULT-VALUE})")
    private long bootTimeoutMs;

    /** One spawn mode's figures. */
    record Level(String mode, int alive, int failed, double pssPerVmMib, double anonPerVmMib, double memAvailablePerVmMib, double spawnSeconds,
                 String limit)
    {
    }

    @Override
    public Integer call()
    {
        if (count < 1 || memMib < VmSpec.MIN_MEM_MIB)
        {
            throw new CommandLine.ParameterException(spec.commandLine(), "--count must be at least 1 and --mem-mib at least "
                + VmSpec.MIN_MEM_MIB + ": --count " + count + " --mem-mib " + memMib);
        }
        final List<SpawnMode> spawnModes = new ArrayList<>();
        for (final String mode : modes)
        {
            spawnModes.add(CliEnums.parse(SpawnMode.class, "--spawn", mode));
        }
        final PrintWriter out = spec.commandLine().getOut();
        final KernelCatalog catalog = KernelCatalog.fromEnvironment(System.getenv());
        final List<Level> levels = new ArrayList<>();
        try (Hatchery hatchery = Hatchery.start(config(), catalog))
        {
            for (final SpawnMode mode : spawnModes)
            {
                final VmSpec vmSpec = catalog.specFor(KernelCatalog.LINUX, false).memMib(memMib).bootTimeout(Duration.ofMillis(bootTimeoutMs))
                    .spawn(mode).conclude();
                final VmSpec staying = vmSpec.toBuilder().cmdline(vmSpec.cmdline() + " " + STAY_WORD).conclude();
                levels.add(measure(hatchery, staying, mode));
            }
        }
        out.println("Hatchery alive: " + count + " idle Linux VMs at once per mode, " + memMib + " MiB RAM each, " + Environment.describe());
        out.println(String.format(Locale.ROOT, "%-6s %6s %7s %12s %12s %16s %10s", "spawn", "alive", "failed", "PSS/VM MiB", "anon/VM MiB",
            "MemAvail/VM MiB", "spawn s"));
        for (final Level level : levels)
        {
            out.println(String.format(Locale.ROOT, "%-6s %6d %7d %12.2f %12.2f %16.2f %10.1f%s", level.mode(), level.alive(), level.failed(),
                level.pssPerVmMib(), level.anonPerVmMib(), level.memAvailablePerVmMib(), level.spawnSeconds(),
                level.limit().isEmpty() ? "" : "  stopped by: " + level.limit()));
        }
        out.println("PSS: this process's proportional set size (template pages shared by clones counted once); anon: its anonymous memory"
            + " (pages guests wrote, VMM and JVM growth); MemAvail: the host's MemAvailable drop (includes KVM's kernel memory per VM).");
        out.flush();
        return levels.stream().allMatch(level -> level.failed() == 0) ? 0 : 1;
    }

    private Level measure(final Hatchery hatchery, final VmSpec vmSpec, final SpawnMode mode)
    {
        final String name = mode.name().toLowerCase(Locale.ROOT);
        // The template (clones) is made by the first VM: one VM first, then the baseline, so the figures are per VM alone.
        final List<RunningVm> vms = new ArrayList<>();
        String limit = "";
        final RunningVm first = hatchery.submitVm(new SpawnRequest(KernelCatalog.LINUX, vmSpec)).toCompletableFuture().join();
        awaitBooted(first);
        vms.add(first);
        final long[] before = memory();
        final long start = System.nanoTime();
        int failed = 0;
        for (int i = 1; i <= count; i++)
        {
            try
            {
                final RunningVm vm = hatchery.submitVm(new SpawnRequest(KernelCatalog.LINUX, vmSpec)).toCompletableFuture().join();
                vms.add(vm);
                if (!awaitBooted(vm))
                {
                    failed++;
                    limit = vm.outcome().map(VmOutcome::reason).orElse("no boot-complete");
                    break;
                }
            }
            catch (final RuntimeException ex)
            {
                failed++;
                limit = String.valueOf(ex.getMessage());
                break;
            }
            if (i % 50 == 0)
            {
                final long[] now = memory();
                spec.commandLine().getErr().println(String.format(Locale.ROOT, "hatchery: %s: %d alive, %.1f s, MemAvailable drop/VM %.2f MiB",
                    name, i, (System.nanoTime() - start) / 1e9, (before[2] - now[2]) / (i * 1048576.0)));
            }
        }
        final double spawnSeconds = (System.nanoTime() - start) / 1e9;
        final long[] after = memory();
        final int alive = (int)vms.stream().skip(1).filter(vm -> vm.outcome().isEmpty()).count();
        for (final RunningVm vm : vms)
        {
            hatchery.stopVm(vm.id());
        }
        for (final RunningVm vm : vms)
        {
            vm.ended().toCompletableFuture().orTimeout(2, TimeUnit.MINUTES).exceptionally(error -> null).join();
        }
        final double perVm = Math.max(1, alive) * 1048576.0;
        return new Level(name, alive, failed, (after[0] - before[0]) / perVm, (after[1] - before[1]) / perVm, (before[2] - after[2]) / perVm,
            spawnSeconds, limit);
    }

    private static boolean awaitBooted(final RunningVm vm)
    {
        vm.bootedOrEnded().toCompletableFuture().join();
        return vm.outcome().isEmpty();
    }

    /** {PSS, anonymous} of this process (smaps_rollup) and the host's MemAvailable, in bytes. */
    static long[] memory()
    {
        try
        {
            long pss = -1;
            long anon = -1;
            for (final String line : Files.readAllLines(Path.of("/proc/self/smaps_rollup")))
            {
                if (line.startsWith("Pss:"))
                {
                    pss = kib(line);
                }
                else if (line.startsWith("Anonymous:"))
                {
                    anon = kib(line);
                }
            }
            long available = -1;
            for (final String line : Files.readAllLines(Path.of("/proc/meminfo")))
            {
                if (line.startsWith("MemAvailable:"))
                {
                    available = kib(line);
                }
            }
            return new long[] {pss, anon, available};
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }

    private static long kib(final String line)
    {
        return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
    }

    /** Limits raised to hold every VM alive at once; the memory budget sized for what idle guests really touch. */
    private Config config()
    {
        final Config defaults = ConfigFactory.load();
        final int most = count + 2;
        return ConfigFactory.parseMap(Map.of(
            "hatchery.limits.max-vms-in-flight", Math.max(defaults.getInt("hatchery.limits.max-vms-in-flight"), most),
            "hatchery.limits.max-total-mem-mib", Math.max(defaults.getInt("hatchery.limits.max-total-mem-mib"), most * memMib),
            // Guests reserve their RAM but touch a few MiB of it: the budget, which counts all of it, would refuse long
            // before the host is short. What the host really holds is what this command measures.
            "hatchery.limits.memory-budget", Math.max(1L << 30, (long)most * ((long)memMib << 20) * 2))).withFallback(defaults);
    }
}
