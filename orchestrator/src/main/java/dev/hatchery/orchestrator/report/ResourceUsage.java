package dev.hatchery.orchestrator.report;

/**
 * What a batch cost this host process; -1 for any value the platform could not give (reported as n/a).
 * Typical use: {@link ProcessResources#resetPeakRss()}, then read {@link ProcessResources#processCpuSeconds()}
 * and {@link ProcessResources#currentRssBytes()} before the batch starts its VMs, then {@link #sample} when it ends.
 *
 * @param hostCpuSeconds   CPU time (user + system, all threads) this process spent during the batch
 * @param peakRssBytes     the process's peak resident set (VmHWM) when the batch ended
 * @param baselineRssBytes the process's resident set just before the batch started its VMs
 * @param guestPrivateBytesPerVm guest RAM a VM's guest made its own (pages it wrote), mean over the VMs measured
 *                         during the batch; -1 when none was
 */
public record ResourceUsage(double hostCpuSeconds, long peakRssBytes, long baselineRssBytes, long guestPrivateBytesPerVm)
{
    /** Without a guest memory figure. */
    public ResourceUsage(final double hostCpuSeconds, final long peakRssBytes, final long baselineRssBytes)
    {
        this(hostCpuSeconds, peakRssBytes, baselineRssBytes, -1);
    }

    /**
     * Samples the end of a batch. VmHWM is the peak since the process started or since the last
     * {@link ProcessResources#resetPeakRss()}: reset it when the batch starts, or a batch that follows a
     * bigger one in the same process reports the earlier peak.
     */
    public static ResourceUsage sample(final double cpuSecondsAtStart, final long baselineRssBytes, final long guestPrivateBytesPerVm)
    {
        final double cpuNow = ProcessResources.processCpuSeconds();
        final double cpu = cpuNow < 0 || cpuSecondsAtStart < 0 ? -1 : cpuNow - cpuSecondsAtStart;
        return new ResourceUsage(cpu, ProcessResources.peakRssBytes(), baselineRssBytes, guestPrivateBytesPerVm);
    }
}
