package dev.hatchery.orchestrator;

import java.io.PrintWriter;
import java.util.Locale;
import java.util.concurrent.Callable;

import dev.hatchery.kvm.Kvm;
import dev.hatchery.kvm.KvmSelfCheck;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** Runs a few guest instructions under real KVM and prints what the guest wrote. */
@Command(name = "kvm-check", description = "Run two tiny real-mode guests under KVM: one writes to port 0x3f8, one triple-faults; exit 0 when KVM behaves.")
final class KvmCheckCommand implements Callable<Integer>
{
    @CommandLine.Spec
    private CommandLine.Model.CommandSpec spec;

    @CommandLine.Option(names = "--device", defaultValue = Kvm.DEFAULT_PATH, description = "KVM device (default: ${DEFAULT-VALUE})")
    private String device;

    @Override
    public Integer call()
    {
        final PrintWriter out = spec.commandLine().getOut();
        try (Kvm kvm = Kvm.open(device))
        {
            final KvmSelfCheck.Result result = KvmSelfCheck.run(kvm);
            out.printf(Locale.ROOT, "kvm: api_version=%d vcpu_mmap_size=%d (%s)%n", result.apiVersion(), kvm.vcpuMmapSize(), Environment.describe());
            out.printf(Locale.ROOT, "guest wrote to port 0x%x: \"%s\" (%d I/O exits, then %s)%n",
                KvmSelfCheck.PORT, result.output(), result.ioExits(), result.lastExit());
            out.printf(Locale.ROOT, "triple-fault guest ended with: %s%n", result.exceptionExit());
            out.printf(Locale.ROOT, "kvm-check: %s in %.3f ms%n", result.healthy() ? "ok" : "FAILED: this KVM does not behave like"
                + " hardware (a nested-virtualisation host?); ./hatchery uses the emulated lab instead", result.elapsedNanos() / 1e6);
            out.flush();
            return result.healthy() ? 0 : 1;
        }
    }
}
