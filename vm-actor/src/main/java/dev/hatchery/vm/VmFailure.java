package dev.hatchery.vm;

import java.util.Locale;

import dev.hatchery.kvm.NativeCallException;

/**
 * Why a VM did not boot, or broke down: one type from the VM build and the vCPU loop to reports, metrics
 * and the HTTP API. {@link #summary()} reads the same for every VM that failed the same way, so a report
 * groups 1000 such VMs as one; {@link #detail()} holds this VM's own facts (guest rip, errno) and stays on
 * the VM's record.
 */
public sealed interface VmFailure
{
    /** Where in a VM's life the failure happened; the label of the failure metric. */
    enum Stage
    {
        /** What the VMs of a request share (kernel template, tap pool) could not be made; no VM was built. */
        PREPARATION,
        /** The VM could not be built (memory, KVM setup, tap lease). */
        BUILD,
        /** The guest ran and failed (triple fault, KVM internal error, failed entry, unexpected exit). */
        GUEST,
        /** No boot-complete within the boot timeout. */
        TIMEOUT,
        /** Stopped on request before boot-complete. */
        CANCELLED,
        /** The host side failed (vCPU thread error, a vCPU that did not come back, a lost actor). */
        HOST;

        public String label()
        {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** A stable identifier of the kind of failure, e.g. {@code triple_fault}: JSON reports and API clients switch on it. */
    String code();

    /** What went wrong, without per-VM facts: the same text for every VM that failed this way. */
    String summary();

    /** This VM's own facts (registers, errno, ids), or "" when there are none. */
    default String detail()
    {
        return "";
    }

    Stage stage();

    /** How a VM that failed this way is counted. */
    default VmOutcome.Kind outcomeKind()
    {
        return switch (stage())
        {
            case TIMEOUT -> VmOutcome.Kind.TIMED_OUT;
            case CANCELLED -> VmOutcome.Kind.CANCELLED;
            default -> VmOutcome.Kind.FAILED;
        };
    }

    /** Summary and detail in one line, for logs and the VM's own record. */
    default String describe()
    {
        return detail().isEmpty() ? summary() : summary() + " (" + detail() + ")";
    }

    /** The kernel (its file, parse or layout) could not be prepared; {@code cause} names the file and the problem. */
    record KernelImage(String cause) implements VmFailure
    {
        @Override
        public String code()
        {
            return "kernel_image";
        }

        @Override
        public String summary()
        {
            return "kernel could not be prepared: " + cause;
        }

        @Override
        public Stage stage()
        {
            return Stage.PREPARATION;
        }
    }

    /**
     * The template VM that clones are made from did not reach its ready point (it timed out, crashed, stopped, or
     * its guest has no clone protocol), or could not be captured; {@code cause} says which, with the template's console tail.
     */
    record CloneTemplate(String cause) implements VmFailure
    {
        @Override
        public String code()
        {
            return "clone_template";
        }

        @Override
        public String summary()
        {
            return "clone template could not be made: " + cause;
        }

        @Override
        public Stage stage()
        {
            return Stage.PREPARATION;
        }
    }

    /** The tap pool or the network event loops could not be made. */
    record NetworkPreparation(String cause) implements VmFailure
    {
        @Override
        public String code()
        {
            return "network_preparation";
        }

        @Override
        public String summary()
        {
            return "network could not be prepared: " + cause;
        }

        @Override
        public Stage stage()
        {
            return Stage.PREPARATION;
        }
    }

    /**
     * Building the VM failed at {@code step} (a KVM ioctl, mmap, the tap lease) with {@code error} (an errno
     * name, or what was wrong); {@code detail} is the full message with this VM's facts.
     */
    record KvmSetup(String step, String error, String detail) implements VmFailure
    {
        /** Classifies what a VM build threw: the failing call and its errno for native failures. */
        public static KvmSetup of(final RuntimeException ex)
        {
            final String message = String.valueOf(ex.getMessage());
            if (ex instanceof NativeCallException nativeCall)
            {
                return new KvmSetup(nativeCall.call(), nativeCall.errnoName(), message);
            }
            if (ex instanceof TapPoolExhaustedException)
            {
                return new KvmSetup("tap lease", "no free tap", message);
            }
            return new KvmSetup(ex.getClass().getSimpleName(), "", message);
        }

        @Override
        public String code()
        {
            return "kvm_setup";
        }

        @Override
        public String summary()
        {
            return "VM could not be built: " + step + (error.isEmpty() ? "" : " failed with " + error);
        }

        @Override
        public Stage stage()
        {
            return Stage.BUILD;
        }
    }

    /** KVM_EXIT_SHUTDOWN: the guest triple-faulted; {@code detail} says where. */
    record TripleFault(boolean afterBootComplete, String detail) implements VmFailure
    {
        @Override
        public String code()
        {
            return "triple_fault";
        }

        @Override
        public String summary()
        {
            return "triple fault (KVM_EXIT_SHUTDOWN) " + (afterBootComplete ? "after" : "before") + " boot-complete";
        }

        @Override
        public Stage stage()
        {
            return Stage.GUEST;
        }
    }

    /** KVM_EXIT_FAIL_ENTRY: the hardware refused to enter the guest. */
    record EntryFailed(long hardwareReason, String detail) implements VmFailure
    {
        @Override
        public String code()
        {
            return "entry_failed";
        }

        @Override
        public String summary()
        {
            return "KVM_EXIT_FAIL_ENTRY hardware_entry_failure_reason=0x" + Long.toHexString(hardwareReason);
        }

        @Override
        public Stage stage()
        {
            return Stage.GUEST;
        }
    }

    /** KVM_EXIT_INTERNAL_ERROR: KVM could not emulate what the guest did; {@code detail} has suberror, data and rip. */
    record InternalError(String detail) implements VmFailure
    {
        @Override
        public String code()
        {
            return "internal_error";
        }

        @Override
        public String summary()
        {
            return "KVM_EXIT_INTERNAL_ERROR";
        }

        @Override
        public Stage stage()
        {
            return Stage.GUEST;
        }
    }

    /** An exit reason the VMM does not handle. */
    record UnhandledExit(String exitReason, String detail) implements VmFailure
    {
        @Override
        public String code()
        {
            return "unhandled_exit";
        }

        @Override
        public String summary()
        {
            return "unhandled exit " + exitReason;
        }

        @Override
        public Stage stage()
        {
            return Stage.GUEST;
        }
    }

    /** The guest reset or shut down before it signalled boot-complete; {@code how} says which way. */
    record StoppedBeforeBoot(String how) implements VmFailure
    {
        @Override
        public String code()
        {
            return "stopped_before_boot";
        }

        @Override
        public String summary()
        {
            return "guest " + how + " before boot-complete";
        }

        @Override
        public Stage stage()
        {
            return Stage.GUEST;
        }
    }

    /** KVM_EXIT_SYSTEM_EVENT of a type other than reset or shutdown (e.g. a crash). */
    record GuestCrashed(int eventType) implements VmFailure
    {
        @Override
        public String code()
        {
            return "guest_crashed";
        }

        @Override
        public String summary()
        {
            return "guest crashed (KVM_EXIT_SYSTEM_EVENT type=" + eventType + ")";
        }

        @Override
        public Stage stage()
        {
            return Stage.GUEST;
        }
    }

    /** No boot-complete within the spec's boot timeout. */
    record BootTimeout(long timeoutMillis) implements VmFailure
    {
        @Override
        public String code()
        {
            return "boot_timeout";
        }

        @Override
        public String summary()
        {
            return "no boot-complete within " + timeoutMillis + " ms";
        }

        @Override
        public Stage stage()
        {
            return Stage.TIMEOUT;
        }
    }

    /** A function's handler did not reply within its timeout; the clone was stopped. */
    record FunctionTimeout(long timeoutMillis) implements VmFailure
    {
        @Override
        public String code()
        {
            return "function_timeout";
        }

        @Override
        public String summary()
        {
            return "the function did not reply within " + timeoutMillis + " ms";
        }

        @Override
        public Stage stage()
        {
            return Stage.TIMEOUT;
        }
    }

    /** Stopped on request before boot-complete; {@code how} says at which point (before launch, while booting, ...). */
    record Cancelled(String how) implements VmFailure
    {
        @Override
        public String code()
        {
            return "cancelled";
        }

        @Override
        public String summary()
        {
            return how;
        }

        @Override
        public Stage stage()
        {
            return Stage.CANCELLED;
        }
    }

    /**
     * The vCPU did not return within {@code waitedMillis} of the stop request (a kernel bug, or a host too
     * loaded to schedule it). The VM is reported; its resources are released when the thread finally returns.
     */
    record Stuck(long waitedMillis) implements VmFailure
    {
        @Override
        public String code()
        {
            return "stuck";
        }

        @Override
        public String summary()
        {
            return "vCPU did not return within " + waitedMillis + " ms of the stop request";
        }

        @Override
        public Stage stage()
        {
            return Stage.HOST;
        }
    }

    /** The host side broke: an exception on the vCPU thread, or a VM actor that stopped without reporting. */
    record HostError(String what, String detail) implements VmFailure
    {
        @Override
        public String code()
        {
            return "host_error";
        }

        @Override
        public String summary()
        {
            return what;
        }

        @Override
        public Stage stage()
        {
            return Stage.HOST;
        }
    }
}
