package dev.hatchery.vm;

import java.util.Optional;

/** The moments of one VM's life that Hatchery timestamps, in the order they happen. */
public enum Phase
{
    REQUEST("VM Request", "request"),
    MEMORY_READY("memory ready", "memoryReady"),
    KERNEL_LOADED("load_kernel", "kernelLoaded"),
    VM_CREATED("Created", "vmCreated"),
    VCPU_READY("vCPU ready", "vcpuReady"),
    FIRST_RUN("first KVM_RUN", "firstKvmRun"),
    BOOT_COMPLETE("Booted", "bootComplete"),
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
