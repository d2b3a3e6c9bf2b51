package dev.hatchery.vm;

/** The moments of one VM's life that Hatchery timestamps, in the order they happen. */
public enum Phase
{
    REQUEST("VM Request"),
    MEMORY_READY("memory ready"),
    KERNEL_LOADED("load_kernel"),
    VM_CREATED("Created"),
    VCPU_READY("vCPU ready"),
    FIRST_RUN("first KVM_RUN"),
    BOOT_COMPLETE("Booted"),
    STOPPED("Stopped");

    private final String label;

    Phase(final String label)
    {
        this.label = label;
    }

    /** The seed's wording where it had one ("VM Request / load_kernel / Created / Booted"). */
    public String label()
    {
        return label;
    }
}
