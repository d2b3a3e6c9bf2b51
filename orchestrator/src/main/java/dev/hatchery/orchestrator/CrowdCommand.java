package dev.hatchery.orchestrator;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;

import dev.hatchery.config.VmSpec;
import dev.hatchery.kernel.MinimalElf;
import dev.hatchery.orchestrator.report.BatchReport;
import dev.hatchery.orchestrator.report.CrowdCurve;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * Measures whether spawning slows as VMs pile up in the process: idle VMs (a guest that halts with interrupts off,
 * so its vCPU waits inside KVM_RUN using no CPU) are started up to each level, and a flat batch is measured beside
 * them. In one process every VM shares one address space, mapping table and fd table, so per-VM costs that walk
 * them would grow with the crowd.
 */
@Command(name = "crowd", description = "Spawn latency as idle VMs alive in the process grow (default 0, 100, 1000): a flat batch "
    + "at each level, printed as a curve.")
final class CrowdCommand implements Callable<Integer>
{
    /** The idle guests' RAM: the smallest a spec allows, so 1000 of them stay within the memory limits. */
    private static final int IDLE_MEM_MIB = VmSpec.MIN_MEM_MIB;

    @CommandLine.Spec
    private CommandLine.Model.CommandSpec spec;

    @CommandLine.Option(names = "--alive", defaultValue = "0,100,1000", split = ",",
        description = "idle VMs alive during each measured batch, ascending (default: ${DEFAULT-VALUE})")
    private List<Integer> alive;

    @CommandLine.Option(names = "--count", defaultValue = "200", description = "flat VMs measured at each level (default: ${DEFAULT-VALUE})")
    private int count;

    @CommandLine.Option(names = "--concurrency", defaultValue = "1", description = "measured VMs in flight (default: ${DEFAULT-VALUE})")
    private int concurrency;

    @CommandLine.Option(names = "--warmup", defaultValue = "50",
        description = "flat VMs run first and not reported, so the JIT is warm at the first level (default: ${DEFAULT-VALUE})")
    private int warmup;

    @CommandLine.Option(names = "--shells", description = "VM shells kept ready (default: hatchery.shells.depth); 0 builds every VM on the spawn path")
    private Integer shells;

    @CommandLine.Option(names = "--recycle", negatable = true, description = "reset ended VMs' shells and reuse them; --no-recycle "
        + "destroys them (default: hatchery.shells.recycle, on)")
    private Boolean recycle;

    @CommandLine.Option(names = "--json", description = "write the curve as JSON to this file")
    private Path json;

    @Override
    public Integer call() throws IOException
    {
        validate();
        LabOutput.requireShared("--json", json, System.getenv());
        final PrintWriter out = spec.commandLine().getOut();
        final KernelCatalog catalog = KernelCatalog.fromEnvironment(System.getenv());
        final VmSpec flat = catalog.specFor(KernelCatalog.FLAT, false).conclude();
        final Path idleKernel = Files.createTempFile("hatchery-idle-", ".elf");
        try
        {
            Files.write(idleKernel, MinimalElf.of(MinimalElf.LOAD_ADDRESS, MinimalElf.IDLE_FOREVER));
            final VmSpec idle = VmSpec.builder().kernel(idleKernel).memMib(IDLE_MEM_MIB).bootTimeout(Duration.ofDays(1)).conclude();
            try (Hatchery hatchery = Hatchery.start(config(flat), catalog))
            {
                if (warmup > 0)
                {
                    hatchery.run(new BatchRequest(KernelCatalog.FLAT, flat, warmup, concurrency, true));
                }
                final List<CrowdCurve.Point> points = new ArrayList<>();
                final List<RunningVm> idleVms = new ArrayList<>();
                for (final int level : alive)
                {
                    startIdle(hatchery, idle, level - idleVms.size(), idleVms);
                    spec.commandLine().getErr().println("hatchery: " + idleVms.size() + " idle VMs alive; measuring " + count + " flat VMs");
                    final BatchReport batch = hatchery.run(new BatchRequest(KernelCatalog.FLAT, flat, count, concurrency, true));
                    points.add(new CrowdCurve.Point(idleVms.size(), batch));
                }
                final CrowdCurve.Curve curve = CrowdCurve.of(points);
                out.print(CrowdCurve.render(curve));
                out.flush();
                if (json != null)
                {
                    CrowdCurve.write(curve, json);
                }
                final boolean idleStillAlive = idleVms.stream().allMatch(vm -> vm.outcome().isEmpty());
                if (!idleStillAlive)
                {
                    spec.commandLine().getErr().println("hatchery: some idle VMs ended during the run; the levels are not what they say");
                }
                return idleStillAlive && points.stream().allMatch(point -> point.batch().booted() == point.batch().count()) ? 0 : 1;
            }
        }
        finally
        {
            Files.deleteIfExists(idleKernel);
        }
    }

    private void validate()
    {
        if (alive.isEmpty())
        {
            throw new CommandLine.ParameterException(spec.commandLine(), "--alive needs at least one level, e.g. --alive 0,100,1000");
        }
        for (int i = 0; i < alive.size(); i++)
        {
            if (alive.get(i) < 0 || (i > 0 && alive.get(i) < alive.get(i - 1)))
            {
                throw new CommandLine.ParameterException(spec.commandLine(),
                    "--alive levels must be 0 or more and ascending (idle VMs are only added between levels): --alive " + alive);
            }
        }
        if (count < 1 || concurrency < 1 || warmup < 0)
        {
            throw new CommandLine.ParameterException(spec.commandLine(), "--count and --concurrency must be at least 1 and --warmup 0 or more: --count "
                + count + " --concurrency " + concurrency + " --warmup " + warmup);
        }
        if (shells != null && shells < 0)
        {
            throw new CommandLine.ParameterException(spec.commandLine(), "--shells must be 0 (off) or more: --shells " + shells);
        }
    }

    /** The service's limits raised to hold the largest level plus the measured VMs; --shells and --recycle over the defaults. */
    private Config config(final VmSpec flat)
    {
        final int most = alive.get(alive.size() - 1);
        final Config defaults = ConfigFactory.load();
        final Map<String, Object> overrides = new java.util.HashMap<>();
        overrides.put("hatchery.limits.max-vms-in-flight", Math.max(defaults.getInt("hatchery.limits.max-vms-in-flight"), most + concurrency + 1));
        overrides.put("hatchery.limits.max-total-mem-mib", Math.max(defaults.getInt("hatchery.limits.max-total-mem-mib"),
            most * IDLE_MEM_MIB + concurrency * flat.memMib() + 1));
        // The idle guests halt at their first instruction and touch one page of their RAM: the host memory budget, which
        // counts RAM as if guests used all of it, would stop the crowd long before the host is short. Sized to hold it.
        final long overhead = defaults.getBytes("hatchery.limits.per-vm-overhead");
        overrides.put("hatchery.limits.memory-budget", Math.max(1L << 30, most * ((IDLE_MEM_MIB << 20) + overhead)
            + concurrency * ((long)flat.memMib() << 20) + concurrency * overhead + (256L << 20)));
        final Config limits = ConfigFactory.parseMap(overrides).withFallback(defaults);
        final Config withShells = shells == null ? limits : Hatchery.withShellDepth(limits, shells);
        return recycle == null ? withShells : Hatchery.withShellRecycling(withShells, recycle);
    }

    private static void startIdle(final Hatchery hatchery, final VmSpec idle, final int more, final List<RunningVm> idleVms)
    {
        final List<RunningVm> started = new ArrayList<>();
        for (int i = 0; i < more; i++)
        {
            started.add(hatchery.submitVm(new SpawnRequest("idle", idle)).toCompletableFuture().join());
        }
        for (final RunningVm vm : started)
        {
            vm.running().toCompletableFuture().join();
        }
        idleVms.addAll(started);
    }
}
