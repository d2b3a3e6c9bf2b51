package dev.hatchery.orchestrator;

import java.io.PrintWriter;
import java.util.concurrent.Callable;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The fault soak: good and misbehaving guests at once; every VM accounted for as it must be, nothing left held. */
@Command(name = "soak", description = "Run good guests beside silent, spinning, early-triple-fault, serial-flood and hostile-virtqueue "
    + "guests, all at once; check that every VM ends exactly once as it must and that fds, threads, mappings and taps return to "
    + "where they were. Exit 0 when both hold.")
final class SoakCommand implements Callable<Integer>
{
    @CommandLine.Spec
    private CommandLine.Model.CommandSpec spec;

    @CommandLine.Option(names = "--count", defaultValue = "1000", description = "VMs in all (default: ${DEFAULT-VALUE}); each guest's share"
        + " of them is fixed, at least one of each")
    private int count;

    @CommandLine.Option(names = "--linux", negatable = true, defaultValue = "true", description = "include Linux guests (2 %%; default: on)."
        + " In the emulated lab a Linux guest booting while many VMs are made can stall on the lab's timer emulation (lab/README.md,"
        + " \"Stalls\"); --no-linux leaves them out")
    private boolean linux;

    @Override
    public Integer call() throws Exception
    {
        try
        {
            Soak.mix(count, leftOut());
        }
        catch (final IllegalArgumentException ex)
        {
            throw new CommandLine.ParameterException(spec.commandLine(), ex.getMessage());
        }
        final PrintWriter out = spec.commandLine().getOut();
        final com.typesafe.config.Config config = com.typesafe.config.ConfigFactory.load();
        final Soak.Result result = Soak.run(() -> Hatchery.start(config, KernelCatalog.fromEnvironment(System.getenv())),
            config.getString("hatchery.taps.prefix"), count, leftOut());
        out.println("Hatchery soak: count=" + count + " environment=" + Environment.describe());
        out.printf("%-20s %6s  %-28s %7s %7s %10s %10s  %s%n", "guest", "VMs", "must end", "booted", "failed", "timed out", "cancelled",
            "as it must");
        for (final Soak.Row row : result.rows())
        {
            out.printf("%-20s %6d  %-28s %7d %7d %10d %10d  %s%n", row.guest().name().toLowerCase(java.util.Locale.ROOT), row.count(),
                row.guest().expected(), row.report().booted(), row.report().failed(), row.report().timedOut(), row.report().cancelled(),
                row.accountedRight() ? "yes" : "NO: " + row.report().failures());
        }
        out.println("taps        " + (result.tapsBack() ? "every one back in the pool once the VMs ended" : "NOT all back in the pool"));
        out.println("held before: " + describe(result.before()) + " (after a first small soak in a service closed again)");
        out.println("held after:  " + describe(result.after()) + " (the soak's service closed)");
        out.printf("wall time   %.1f s%n", result.wallMillis() / 1000.0);
        out.println("result      " + (result.passed() ? "passed: every VM ended once as it must, nothing left held"
            : "FAILED: " + (result.before().equals(result.after()) ? "" : "holdings differ; ") + (result.tapsBack() ? "" : "taps not back; ")
                + (result.rows().stream().allMatch(Soak.Row::accountedRight) ? "" : "a guest ended otherwise than it must")));
        out.flush();
        return result.passed() ? 0 : 1;
    }

    private java.util.Set<SoakGuest> leftOut()
    {
        return linux ? java.util.EnumSet.noneOf(SoakGuest.class) : java.util.EnumSet.of(SoakGuest.GOOD_LINUX);
    }

    private static String describe(final Soak.Holdings holdings)
    {
        return "fds=" + holdings.fds() + " service_threads=" + holdings.threads() + " vm_mappings=" + holdings.mappings() + " taps="
            + holdings.taps();
    }
}
