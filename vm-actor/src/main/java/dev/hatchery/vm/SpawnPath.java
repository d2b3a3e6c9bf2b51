package dev.hatchery.vm;

/** How a VM's machine was made: from a shell made ahead (fresh, or recycled from an ended VM), or every step on the spawn path. */
public enum SpawnPath
{
    /** A fresh shell from the host's pool: memory with the kernel laid in, VM and vCPU made ahead. */
    SHELL("shell"),
    /** A shell an ended VM gave back, reset to the state of a fresh one (see {@code ShellRecycler}). */
    RECYCLED("recycled"),
    /** Memory, VM and vCPU all made by the spawn (shells off, or none ready). */
    DIRECT("direct"),
    /** A clone: memory mapped copy-on-write from a captured template VM, its state restored (see {@code CloneImage}). */
    CLONE("clone"),
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
