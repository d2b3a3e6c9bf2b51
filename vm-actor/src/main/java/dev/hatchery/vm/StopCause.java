package dev.hatchery.vm;

/** Why the VMM, rather than the guest, ends a VM. */
enum StopCause
{
    REQUESTED,
    BOOT_TIMEOUT;

    /** The outcome this stop gives, depending on whether the guest had reached boot-complete. */
    VmOutcome outcome(final boolean booted, final long bootTimeoutMillis)
    {
        if (booted)
        {
            return VmOutcome.booted("stopped by request");
        }
        return this == BOOT_TIMEOUT
            ? VmOutcome.timedOut("no boot-complete within " + bootTimeoutMillis + " ms")
            : VmOutcome.cancelled("stopped by request before boot-complete");
    }
}
