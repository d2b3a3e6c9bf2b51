package dev.hatchery.orchestrator;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import dev.hatchery.config.GuestPhysicalMap;
import dev.hatchery.config.HugePages;
import dev.hatchery.config.MemoryMode;
import dev.hatchery.config.SpawnMode;
import dev.hatchery.config.VmSpec;

import picocli.CommandLine;

/** The command-line options that describe a VM, shared by `boot` and `batch`. */
final class VmSpecOptions
{
    @CommandLine.Option(names = "--kernel", defaultValue = KernelCatalog.LINUX,
        description = "flat, linux, or the path of a vmlinux ELF (default: ${DEFAULT-VALUE})")
    String kernel;

    @CommandLine.Option(names = "--initrd", description = "initramfs for a kernel given by path (the bundled linux brings its own)")
    Path initrd;

    @CommandLine.Option(names = "--cmdline", description = "kernel command line (default: the kernel's own)")
    String cmdline;

    @CommandLine.Option(names = "--mem-mib", defaultValue = "128", description = "guest RAM in MiB (default: ${DEFAULT-VALUE})")
    int memMib;

    @CommandLine.Option(names = "--vcpus", defaultValue = "1", description = "vCPUs per VM; only 1 is supported today (default: ${DEFAULT-VALUE})")
    int vcpus;

    @CommandLine.Option(names = "--boot-timeout-ms", defaultValue = "60000",
        description = "a VM without boot-complete after this long is timed out (default: ${DEFAULT-VALUE})")
    long bootTimeoutMs;

    /** No defaultValue: picocli shows this initial value, so the default lives only in {@link GuestPhysicalMap}. */
    @CommandLine.Option(names = "--boot-device", description = "guest-physical address of the boot-complete device (default: ${DEFAULT-VALUE})")
    String bootDevice = "0x" + Long.toHexString(GuestPhysicalMap.DEFAULT_BOOT_DEVICE_ADDRESS);

    @CommandLine.Option(names = "--memory", defaultValue = "template",
        description = "boot memory: template (copy-on-write mapping) or copy (per-VM copy) (default: ${DEFAULT-VALUE})")
    String memory;

    @CommandLine.Option(names = "--huge-pages", defaultValue = "off", description = "off, transparent or hugetlbfs (default: ${DEFAULT-VALUE})")
    String hugePages;

    @CommandLine.Option(names = "--triple-fault-stops", description = "treat a triple fault after boot-complete as the guest stopping")
    boolean tripleFaultStops;

    @CommandLine.Option(names = "--network",
        description = "give each VM virtio-net over a tap leased from the pool (needs CAP_NET_ADMIN; addresses come from the lease)")
    boolean network;

    @CommandLine.Option(names = "--spawn", defaultValue = "boot",
        description = "boot (each VM boots its kernel) or clone (one template VM boots to its ready point and is captured; "
            + "each VM is a copy-on-write clone of it) (default: ${DEFAULT-VALUE})")
    String spawn;

    @CommandLine.Option(names = "--mac", description = "the guest's MAC with --network (default: derived from the VM id)")
    String mac;

    /** The kernel's name in reports: the catalog name, or the file name of a kernel given by path. */
    String kernelName()
    {
        return kernel.contains("/") ? Path.of(kernel).getFileName().toString() : kernel;
    }

    /** The spec; {@code withConsole} picks the kernel's console command line over its quiet one. */
    VmSpec toSpec(final KernelCatalog catalog, final boolean withConsole)
    {
        final VmSpec.Builder builder;
        if (catalog.contains(kernel) || !kernel.contains("/") && !Files.exists(Path.of(kernel)))
        {
            builder = catalog.specFor(kernel, withConsole);
            builder.tripleFaultIsStop(tripleFaultStops || catalog.get(kernel).tripleFaultIsStop());
            if (initrd != null)
            {
                builder.initrd(initrd);
            }
        }
        else
        {
            builder = VmSpec.builder().kernel(Path.of(kernel)).initrd(initrd).tripleFaultIsStop(tripleFaultStops);
        }
        builder.memMib(memMib).vcpus(vcpus).bootTimeout(Duration.ofMillis(bootTimeoutMs)).bootDeviceAddress(parseAddress(bootDevice))
            .memoryMode(CliEnums.parse(MemoryMode.class, "--memory", memory)).hugePages(CliEnums.parse(HugePages.class, "--huge-pages", hugePages))
            .network(network).mac(mac).spawn(CliEnums.parse(SpawnMode.class, "--spawn", spawn));
        if (cmdline != null)
        {
            builder.cmdline(cmdline);
        }
        return builder.conclude();
    }

    private static long parseAddress(final String text)
    {
        try
        {
            return Long.decode(text);
        }
        catch (final NumberFormatException ex)
        {
            throw new IllegalArgumentException("invalid --boot-device: " + text + ": give an address such as 0x" + Long.toHexString(GuestPhysicalMap.DEFAULT_BOOT_DEVICE_ADDRESS));
        }
    }
}
