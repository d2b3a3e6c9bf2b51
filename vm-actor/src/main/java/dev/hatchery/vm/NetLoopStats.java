package dev.hatchery.vm;

/**
 * A host's shared network event loops ({@link VmHost#netLoopStats()}).
 *
 * @param alive        shared loops serving now
 * @param died         shared loops whose thread died (each was replaced)
 * @param networksLost VMs whose network stopped being served: their handler failed, or their loop died
 */
public record NetLoopStats(int alive, long died, long networksLost)
{
}
