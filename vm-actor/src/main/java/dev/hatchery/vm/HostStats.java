package dev.hatchery.vm;

/**
 * What a {@link VmHost} has done to keep work off the spawn path, since it opened.
 *
 * @param shellDepth            shells kept ready per machine shape (0: shells off)
 * @param shellsReady           shells ready now
 * @param shellsTaken           spawns that took a shell
 * @param shellsMissed          spawns that found none ready (and built their VM directly), shells on
 * @param shellsMade            shells made in all
 * @param shellsRecycled        shells of ended VMs reset and given back to the pool
 * @param shellRecycleFailures  resets that failed (those shells were destroyed)
 * @param vcpuThreadsStarted    vCPU threads started in all
 * @param vcpuThreadsOnSpawn    of those, started by a spawn that found none parked
 * @param vcpuThreadsIdle       vCPU threads parked now
 * @param teardownsQueued       ended VMs waiting for a teardown thread now
 * @param guestMemoryMeasured   ended VMs whose guest memory was measured (a sample, see {@code GuestMemoryMeter})
 * @param guestPrivateBytes     over those, the bytes of guest RAM their guests made their own (written pages)
 */
public record HostStats(int shellDepth, int shellsReady, long shellsTaken, long shellsMissed, long shellsMade, long shellsRecycled,
                        long shellRecycleFailures, int vcpuThreadsStarted,
                        long vcpuThreadsOnSpawn, int vcpuThreadsIdle, int teardownsQueued, long guestMemoryMeasured, long guestPrivateBytes)
{
    /** Mean private guest bytes per VM measured since {@code earlier}, or -1 when none was. */
    public long guestPrivateBytesPerVmSince(final HostStats earlier)
    {
        final long vms = guestMemoryMeasured - earlier.guestMemoryMeasured;
        return vms <= 0 ? -1 : (guestPrivateBytes - earlier.guestPrivateBytes) / vms;
    }
}
