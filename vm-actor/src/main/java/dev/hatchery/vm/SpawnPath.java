package dev.hatchery.vm;

/** How a VM's machine was made: from a shell made ahead, or every step on the spawn path. */
public enum SpawnPath
{
    /** KVM-wide setup taken from the host's shell pool; the spawn laid in the kernel and made the vCPU. */
    SHELL("shell"),
    /** Memory, VM and vCPU all made by the spawn (shells off, or none ready). */
    DIRECT("direct"),
    /** The VM was never built. */
    NONE("none");

    private final String jsonKey;

    SpawnPath(final String jsonKey)
    {
        this.jsonKey = jsonKey;
    }

    /** The path's name in JSON reports and the HTTP API. */
    public String jsonKey()
    {
        return jsonKey;
    }
}
