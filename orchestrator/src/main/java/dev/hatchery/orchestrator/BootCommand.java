package dev.hatchery.orchestrator;

import java.io.PrintWriter;
import java.util.Locale;
import java.util.concurrent.Callable;

import dev.hatchery.config.VmSpec;
import dev.hatchery.kernel.KernelCache;
import dev.hatchery.kvm.HostHugePages;
import dev.hatchery.vm.VmHost;
import dev.hatchery.vm.VmResult;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** Boots one VM and prints its timeline, outcome and console; exit status 0 only if it reached boot-complete. */
@Command(name = "boot", description = "Boot one microVM to boot-complete and print its timeline, outcome and console.")
final class BootCommand implements Callable<Integer>
{
    @CommandLine.Spec
    private CommandLine.Model.CommandSpec spec;

    @CommandLine.Mixin
    private VmSpecOptions vm;

    @Override
    public Integer call()
    {
        final VmSpec vmSpec = vm.toSpec(KernelCatalog.fromEnvironment(System.getenv()), true);
        final PrintWriter out = spec.commandLine().getOut();
        HostHugePages.checkAvailable(vmSpec.hugePages(), vmSpec.memBytes());
        try (KernelCache kernels = new KernelCache(); VmHost host = VmHost.open())
        {
            final VmResult result = host.launch("vm-1", kernels.prepare(vmSpec), vmSpec).result().join();
            out.println("kernel: " + vmSpec.kernel() + (vmSpec.initrd() != null ? " initrd: " + vmSpec.initrd() : "")
                + " mem: " + vmSpec.memMib() + " MiB memory: " + vmSpec.memoryMode().name().toLowerCase(Locale.ROOT));
            out.println("timeline (" + Environment.describe() + "), from the request:");
            out.print(result.timeline().format());
            out.println("outcome: " + result.outcome() + ", " + result.exits() + " exits");
            if (!result.console().isEmpty())
            {
                out.println("console:");
                out.print(result.console());
                if (!result.console().endsWith("\n"))
                {
                    out.println();
                }
            }
            out.flush();
            return result.outcome().isBooted() ? 0 : 1;
        }
    }
}
