package dev.hatchery.vm;

import java.util.Optional;

import dev.hatchery.devices.BootMilestonePort;

/**
 * The moments of one VM's life that Hatchery timestamps, in the order they happen. The VMM marks its own;
 * {@link #KERNEL_ENTRY} and {@link #INIT_STARTED} are milestones the guest reports on the debug port
 * ({@link BootMilestonePort}), so a guest that does not report them (a kernel of your own; the flat guest
 * has no /init) simply never reaches them.
 */
public enum Phase
{
    REQUEST("VM Request", "request"),
    MEMORY_READY("memory ready", "memoryReady"),
    KERNEL_LOADED("load_kernel", "kernelLoaded"),
    VM_CREATED("Created", "vmCreated"),
    VCPU_READY("vCPU ready", "vcpuReady"),
    FIRST_RUN("first KVM_RUN", "firstKvmRun"),
    KERNEL_ENTRY("kernel entry", "kernelEntry"),
    INIT_STARTED("/init started", "initStarted"),
    BOOT_COMPLETE("Booted", "bootComplete"),
    /** A function's clone wrote its mailbox's DONE: its handler's reply is in. */
    FUNCTION_REPLIED("function replied", "functionReplied"),
    STOPPED("Stopped", "stopped");

    private final String label;
    private final String jsonKey;

    Phase(final String label, final String jsonKey)
    {
        this.label = label;
        this.jsonKey = jsonKey;
    }

    /** The seed's wording where it had one ("VM Request / load_kernel / Created / Booted"): for people, not for tools. */
    public String label()
    {
        return label;
    }

    /**
     * The phase's name in JSON (batch reports, the HTTP API): a camelCase identifier that tools can rely on.
     * Spelled out rather than derived from the constant's name, so that renaming a constant does not change the contract.
     */
    public String jsonKey()
    {
        return jsonKey;
    }

    /** The phase a guest reaches when it reports the milestone. */
    public static Phase of(final BootMilestonePort.Milestone milestone)
    {
        return switch (milestone)
        {
            case KERNEL_ENTRY -> Phase.KERNEL_ENTRY;
            case INIT_STARTED -> Phase.INIT_STARTED;
        };
    }

    /** The phase a {@link #jsonKey()} names, or empty for a key this version does not know (e.g. a newer report's). */
    public static Optional<Phase> ofJsonKey(final String key)
    {
        for (final Phase phase : values())
        {
            if (phase.jsonKey.equals(key))
            {
                return Optional.of(phase);
            }
        }
        return Optional.empty();
    }
}
