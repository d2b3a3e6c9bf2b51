package dev.hatchery.vm;

/** Why the VMM, rather than the guest, ends a VM. */
enum StopCause
{
    REQUESTED,
    BOOT_TIMEOUT,
    /** A function's clone did not reply within its call's timeout. */
    FUNCTION_TIMEOUT;

    /** The outcome this stop gives, depending on whether the guest had reached boot-complete ({@code bootTimeoutMillis}: the timeout that ran out). */
    VmOutcome outcome(final boolean booted, final long bootTimeoutMillis)
    {
        if (this == FUNCTION_TIMEOUT)
        {
            return VmOutcome.of(new VmFailure.FunctionTimeout(bootTimeoutMillis));
        }
        if (booted)
        {
            return VmOutcome.booted("stopped by request");
        }
        return VmOutcome.of(this == BOOT_TIMEOUT
            ? new VmFailure.BootTimeout(bootTimeoutMillis)
            : new VmFailure.Cancelled("stopped by request before boot-complete"));
    }
}
