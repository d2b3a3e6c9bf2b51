package dev.hatchery.orchestrator;

import java.io.PrintWriter;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletionException;

import dev.hatchery.config.VmSpec;
import dev.hatchery.kvm.HostHugePages;
import dev.hatchery.vm.VmFailure;
import dev.hatchery.vm.VmResult;

import com.typesafe.config.ConfigFactory;

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
        final KernelCatalog catalog = KernelCatalog.fromEnvironment(System.getenv());
        final VmSpec vmSpec = vm.toSpec(catalog, true);
        final PrintWriter out = spec.commandLine().getOut();
        HostHugePages.checkAvailable(vmSpec.hugePages(), vmSpec.memBytes());
        // Bad input first: an unreadable or invalid kernel or initrd is the user's to fix, whether or not this host has KVM.
        dev.hatchery.kernel.BootImage.load(vmSpec);
        // Through the facade like every VM: its actor owns it, and the result is what the actor reports.
        try (Hatchery hatchery = Hatchery.start(ConfigFactory.load(), catalog))
        {
            final VmResult result;
            try
            {
                result = hatchery.submitVm(new SpawnRequest(vm.kernelName(), vmSpec)).thenCompose(RunningVm::ended).toCompletableFuture().join();
            }
            catch (final CompletionException ex)
            {
                // A refusal (memory limits) is the user's to fix: say it as it is, not wrapped.
                throw ex.getCause() instanceof RuntimeException cause ? cause : ex;
            }
            if (result.outcome().failure() instanceof VmFailure.KernelImage kernel)
            {
                throw new IllegalArgumentException(kernel.cause());
            }
            out.println("kernel: " + vmSpec.kernel() + (vmSpec.initrd() != null ? " initrd: " + vmSpec.initrd() : "")
                + " mem: " + vmSpec.memMib() + " MiB memory: " + vmSpec.memoryMode().name().toLowerCase(Locale.ROOT));
            out.println("timeline (" + Environment.describe() + "), from the request:");
            out.print(result.timeline().format());
            final String split = result.timeline().formatSpans();
            if (!split.isEmpty())
            {
                // From the guest's own milestones (kernel entry, /init started): where the boot time went.
                out.println("split:");
                out.print(split);
            }
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
