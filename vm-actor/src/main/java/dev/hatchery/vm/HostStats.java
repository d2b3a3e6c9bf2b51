package dev.hatchery.vm;

/**
 * What a {@link VmHost} has done to keep work off the spawn path, since it opened.
 *
 * @param shellDepth            shells kept ready per machine shape (0: shells off)
 * @param shellsReady           shells ready now
 * @param shellsTaken           spawns that took a shell
 * @param shellsMissed          spawns that found none ready (and built their VM directly), shells on
 * @param shellsMade            shells made in all
 * @param vcpuThreadsStarted    vCPU threads started in all
 * @param vcpuThreadsOnSpawn    of those, started by a spawn that found none parked
 * @param vcpuThreadsIdle       vCPU threads parked now
 * @param teardownsQueued       ended VMs waiting for a teardown thread now
 */
public record HostStats(int shellDepth, int shellsReady, long shellsTaken, long shellsMissed, long shellsMade, int vcpuThreadsStarted,
                        long vcpuThreadsOnSpawn, int vcpuThreadsIdle, int teardownsQueued)
{
}
