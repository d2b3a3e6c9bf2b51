package dev.hatchery.vm;

import java.util.concurrent.CompletionStage;

/**
 * What a {@link VmActor} needs of the VM it owns. {@link Vm} is the real one; unit tests script one to
 * prove how the actor behaves when a vCPU does not come back.
 */
interface VmControl
{
    String id();

    /** Completes with the boot-complete timestamp (System.nanoTime) when the guest signals. */
    CompletionStage<Long> bootComplete();

    /** Completes once the VM has ended (its vCPU returned); what it held is released after that, off the spawn path. */
    CompletionStage<VmResult> result();

    /** Completes once everything the VM held (memory, fds, tap) is released, after {@link #result()}; never for a VM whose vCPU never returns. */
    CompletionStage<Void> released();

    /** How the VM's machine was made. */
    SpawnPath spawnPath();

    /** Asks the VM to stop; returns at once, never waits for the vCPU. */
    void stop();

    /** The timeline so far (live: copy it before handing it out). */
    Timeline timeline();

    /** The console tail so far. */
    String console();

    /** Where the VM is reached, or null without network. */
    VmAddress address();
}
