package dev.hatchery.config;

/** How a VM comes to be: its kernel boots, or it is a copy-on-write clone of a VM that booted once. */
public enum SpawnMode
{
    /** The guest kernel boots from its entry point; ready at boot-complete. */
    BOOT,
    /**
     * A template VM of the same spec boots once to its clone ready point and is captured (memory, vCPU, interrupt
     * controllers, clock, devices); each VM is a copy-on-write clone of it that resumes there, learns its own
     * identity and signals boot-complete. The guest must support it: Hatchery's /init does (kernel command line
     * word {@code hatchery.clone=1}, which Hatchery adds for the template).
     */
    CLONE
}
