package dev.hatchery.orchestrator;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;

import dev.hatchery.config.VmSpec;
import dev.hatchery.kernel.BootImage;
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

    @CommandLine.Option(names = "--kernel", defaultValue = KernelCatalog.LINUX,
        description = "flat, linux, or the path of a vmlinux ELF (default: ${DEFAULT-VALUE})")
    private String kernel;

    @CommandLine.Option(names = "--initrd", description = "initramfs for a kernel given by path (the bundled linux brings its own)")
    private Path initrd;

    @CommandLine.Option(names = "--cmdline", description = "kernel command line (default: the kernel's own)")
    private String cmdline;

    @CommandLine.Option(names = "--mem-mib", defaultValue = "128", description = "guest RAM in MiB (default: ${DEFAULT-VALUE})")
    private int memMib;

    @CommandLine.Option(names = "--boot-timeout-ms", defaultValue = "60000",
        description = "fail as timed out without boot-complete after this long (default: ${DEFAULT-VALUE})")
    private long bootTimeoutMs;

    @CommandLine.Option(names = "--boot-device", defaultValue = "0xd0000000",
        description = "guest-physical address of the boot-complete device (default: ${DEFAULT-VALUE})")
    private String bootDevice;

    @CommandLine.Option(names = "--triple-fault-stops", description = "treat a triple fault after boot-complete as the guest stopping")
    private boolean tripleFaultStops;

    @Override
    public Integer call()
    {
        final VmSpec vmSpec = vmSpec();
        final PrintWriter out = spec.commandLine().getOut();
        final BootImage image = BootImage.load(vmSpec);
        try (VmHost host = VmHost.open())
        {
            final VmResult result = host.launch("vm-1", image, vmSpec).result().join();
            out.println("kernel: " + vmSpec.kernel() + (vmSpec.initrd() != null ? " initrd: " + vmSpec.initrd() : "")
                + " mem: " + vmSpec.memMib() + " MiB");
            out.println("timeline (" + HatcheryCli.where() + "), from the request:");
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

    private VmSpec vmSpec()
    {
        final VmSpec.Builder builder = VmSpec.builder().memMib(memMib).bootTimeout(Duration.ofMillis(bootTimeoutMs))
            .bootDeviceAddress(Long.decode(bootDevice)).tripleFaultIsStop(tripleFaultStops);
        final KernelCatalog catalog = KernelCatalog.fromEnvironment(System.getenv());
        if (catalog.contains(kernel) || !Files.exists(Path.of(kernel)) && !kernel.contains("/"))
        {
            final KernelCatalog.Entry entry = catalog.get(kernel);
            builder.kernel(entry.kernel()).initrd(initrd != null ? initrd : entry.initrd()).cmdline(entry.cmdline())
                .tripleFaultIsStop(tripleFaultStops || entry.tripleFaultIsStop());
        }
        else
        {
            builder.kernel(Path.of(kernel)).initrd(initrd);
        }
        if (cmdline != null)
        {
            builder.cmdline(cmdline);
        }
        return builder.conclude();
    }
}
