package dev.hatchery.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import dev.hatchery.config.HugePages;
import dev.hatchery.config.MemoryMode;
import dev.hatchery.config.VmSpec;
import dev.hatchery.kernel.KernelCache;
import dev.hatchery.kernel.PreparedKernel;
import dev.hatchery.kvm.GuestMemory;

/**
 * Resident memory per prepared VM (guest memory ready to hand to KVM, guest not yet run), for the
 * template and copy paths: prepares N VMs each way, keeps them mapped, and reads this process's RSS.
 * A command-line tool, so it prints its table.
 */
public final class PreparedVmFootprint
{
    private PreparedVmFootprint()
    {
    }

    public static void main(final String[] args) throws IOException
    {
        final int count = args.length > 0 ? Integer.parseInt(args[0]) : 100;
        final VmSpec spec = VmSpec.builder().kernel(Path.of(GuestMemoryPrepBenchmark.requiredEnv("HATCHERY_VMLINUX")))
            .initrd(Path.of(GuestMemoryPrepBenchmark.requiredEnv("HATCHERY_INITRAMFS"))).cmdline("console=ttyS0 reboot=k panic=1")
            .memMib(VmSpec.DEFAULT_MEM_MIB).conclude();
        try (KernelCache cache = new KernelCache())
        {
            final PreparedKernel kernel = cache.prepare(spec);
            System.out.printf(Locale.ROOT, "kernel segments %d bytes, initrd %d bytes, template %d bytes; %d VMs of %d MiB each way%n",
                kernel.image().kernel().fileBytes(), kernel.image().initrdBytes(), kernel.template().size(), count, spec.memMib());
            for (final MemoryMode mode : MemoryMode.values())
            {
                final long before = rssBytes();
                final List<GuestMemory> vms = new ArrayList<>();
                for (int i = 0; i < count; i++)
                {
                    final GuestMemory memory = kernel.allocate(HugePages.OFF);
                    kernel.load(memory, mode);
                    vms.add(memory);
                }
                final long after = rssBytes();
                vms.forEach(GuestMemory::close);
                System.out.printf(Locale.ROOT, "%-8s resident per prepared VM: %10.1f KiB%n", mode.name().toLowerCase(Locale.ROOT),
                    (after - before) / 1024.0 / count);
            }
        }
    }

    private static long rssBytes() throws IOException
    {
        for (final String line : Files.readAllLines(Path.of("/proc/self/status")))
        {
            if (line.startsWith("VmRSS:"))
            {
                return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
            }
        }
        throw new IOException("VmRSS missing from /proc/self/status");
    }
}
