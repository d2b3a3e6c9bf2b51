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
        return VmOutcome.of(this == BOOT_TIMEOUT
            ? new VmFailure.BootTimeout(bootTimeoutMillis)
            : new VmFailure.Cancelled("stopped by request before boot-complete"));
    }
}
