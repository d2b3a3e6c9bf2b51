package dev.hatchery.orchestrator.cluster;

import java.time.Duration;

import dev.hatchery.config.HugePages;
import dev.hatchery.config.MemoryMode;
import dev.hatchery.config.SpawnMode;
import dev.hatchery.config.VmSpec;
import dev.hatchery.orchestrator.BatchRequest;
import dev.hatchery.orchestrator.KernelCatalog;

/**
 * A batch's VM spec as it travels to another node: the kernel by catalog name (each node resolves it in its own
 * catalog, as an HTTP request does; paths differ between hosts) and every setting that is not a path.
 */
public record PortableSpec(String kernel, String cmdline, int memMib, int vcpus, long bootDeviceAddress, long bootTimeoutMs, int consoleBytes,
    boolean tripleFaultIsStop, MemoryMode memoryMode, HugePages hugePages, boolean network, SpawnMode spawn, boolean stopAtBootComplete)
{
    /** The portable form of a request whose kernel is a catalog name. */
    public static PortableSpec of(final BatchRequest request)
    {
        final VmSpec spec = request.spec();
        return new PortableSpec(request.kernelName(), spec.cmdline(), spec.memMib(), spec.vcpus(), spec.bootDeviceAddress(),
            spec.bootTimeout().toMillis(), spec.consoleBytes(), spec.tripleFaultIsStop(), spec.memoryMode(), spec.hugePages(), spec.network(),
            spec.spawn(), request.stopAtBootComplete());
    }

    /** This node's request for {@code count} of these VMs, its kernel from this node's catalog. */
    public BatchRequest toRequest(final KernelCatalog catalog, final int count, final int concurrency)
    {
        if (!catalog.contains(kernel))
        {
            throw new IllegalArgumentException("kernel '" + kernel + "' is not in this node's catalog (" + String.join(", ", catalog.names())
                + "): give every node the same kernels (./hatchery builds flat and linux on each)");
        }
        final VmSpec spec = catalog.specFor(kernel, false).cmdline(cmdline).memMib(memMib).vcpus(vcpus).bootDeviceAddress(bootDeviceAddress)
            .bootTimeout(Duration.ofMillis(bootTimeoutMs)).consoleBytes(consoleBytes).tripleFaultIsStop(tripleFaultIsStop).memoryMode(memoryMode)
            .hugePages(hugePages).network(network).spawn(spawn).conclude();
        return new BatchRequest(kernel, spec, count, concurrency, stopAtBootComplete);
    }
}
