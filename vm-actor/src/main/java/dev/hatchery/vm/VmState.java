package dev.hatchery.vm;

/** Where a VM is in its life, as its actor publishes it. */
public enum VmState
{
    /** Accepted; its kernel is being prepared or the machine built. */
    STARTING,
    /** Its vCPU runs; the guest has not signalled boot-complete yet. */
    RUNNING,
    /** The guest signalled boot-complete and still runs. */
    BOOTED,
    /** Ended; everything it held is released (or will be, by a vCPU that has not come back: see {@link VmFailure.Stuck}). */
    ENDED
}
