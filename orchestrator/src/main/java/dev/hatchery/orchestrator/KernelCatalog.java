package dev.hatchery.orchestrator;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

import dev.hatchery.config.VmSpec;

/**
 * Kernels by name. The bundled guests are built by guest/build and announced to the JVM by the
 * launcher through environment variables; a name is the only way a request picks a kernel.
 */
public final class KernelCatalog
{
    public static final String FLAT = "flat";
    public static final String LINUX = "linux";

    /** Firecracker's minimal command line, with the serial console on (boot-time runs switch it off). */
    public static final String LINUX_CMDLINE = "console=ttyS0 8250.nr_uarts=1 reboot=k panic=1 nomodule i8042.noaux i8042.nomux"
        + " i8042.dumbkbd swiotlb=noforce pci=off";
    public static final String LINUX_QUIET_CMDLINE = "8250.nr_uarts=0 reboot=k panic=1 nomodule i8042.noaux i8042.nomux"
        + " i8042.dumbkbd swiotlb=noforce pci=off quiet";

    /**
     * A named guest: its files, how it stops, and two default command lines: {@code cmdline} without a
     * console, for measuring (the serial console is slow and its interrupts dominate an emulated boot),
     * and {@code consoleCmdline} for looking at what the guest prints.
     */
    public record Entry(String name, Path kernel, Path initrd, String cmdline, String consoleCmdline, boolean tripleFaultIsStop)
    {
    }

    private final Map<String, Entry> entries;
    private final Map<String, String> missing;

    private KernelCatalog(final Map<String, Entry> entries, final Map<String, String> missing)
    {
        this.entries = entries;
        this.missing = missing;
    }

    /** The bundled kernels from HATCHERY_FLAT_ELF, HATCHERY_VMLINUX and HATCHERY_INITRAMFS. */
    public static KernelCatalog fromEnvironment(final Map<String, String> env)
    {
        final Map<String, Entry> entries = new LinkedHashMap<>();
        final Map<String, String> missing = new LinkedHashMap<>();
        final String flat = env.get("HATCHERY_FLAT_ELF");
        if (flat != null && Files.isRegularFile(Path.of(flat)))
        {
            entries.put(FLAT, new Entry(FLAT, Path.of(flat), null, "", "", true));
        }
        else
        {
            missing.put(FLAT, "HATCHERY_FLAT_ELF=" + flat);
        }
        final String vmlinux = env.get("HATCHERY_VMLINUX");
        final String initramfs = env.get("HATCHERY_INITRAMFS");
        if (vmlinux != null && initramfs != null && Files.isRegularFile(Path.of(vmlinux)) && Files.isRegularFile(Path.of(initramfs)))
        {
            entries.put(LINUX, new Entry(LINUX, Path.of(vmlinux), Path.of(initramfs), LINUX_QUIET_CMDLINE, LINUX_CMDLINE, false));
        }
        else
        {
            missing.put(LINUX, "HATCHERY_VMLINUX=" + vmlinux + " HATCHERY_INITRAMFS=" + initramfs);
        }
        return new KernelCatalog(entries, missing);
    }

    /**
     * A spec builder for a catalog kernel: its files, its stop rule and one of its command lines
     * ({@code withConsole}: the serial console on). Callers add memory, timeout and the rest.
     */
    public VmSpec.Builder specFor(final String name, final boolean withConsole)
    {
        final Entry entry = get(name);
        return VmSpec.builder().kernel(entry.kernel()).initrd(entry.initrd())
            .cmdline(withConsole ? entry.consoleCmdline() : entry.cmdline()).tripleFaultIsStop(entry.tripleFaultIsStop());
    }

    public Set<String> names()
    {
        return entries.keySet();
    }

    public boolean contains(final String name)
    {
        return entries.containsKey(name);
    }

    /** The entry, or an error that says whether the name is unknown or the kernel is not built yet. */
    public Entry get(final String name)
    {
        final Entry entry = entries.get(name);
        if (entry != null)
        {
            return entry;
        }
        if (missing.containsKey(name))
        {
            throw new IllegalArgumentException("kernel '" + name + "' is not built (" + missing.get(name)
                + "); run through ./hatchery, which builds the guest artifacts with guest/build");
        }
        throw new IllegalArgumentException("unknown kernel '" + name + "': known kernels are " + String.join(", ", names()));
    }
}
