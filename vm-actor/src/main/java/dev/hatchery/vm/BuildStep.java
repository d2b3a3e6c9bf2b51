package dev.hatchery.vm;

/**
 * The steps of building and starting a VM, in order, at which a test can make the build fail on purpose
 * ({@link BuildFaults}) to prove that every path out releases what the steps before it made, exactly once.
 */
enum BuildStep
{
    /** Guest memory is allocated (or the shell's taken). */
    MEMORY,
    /** The kernel is laid into it (direct path). */
    KERNEL,
    /** The VM's own command line is written (networked VMs). */
    COMMAND_LINE,
    /** The KVM VM exists (a shell over the memory, or the ready shell). */
    VM,
    /** vCPU 0 is in its boot state. */
    VCPU,
    /** The devices, network included, are attached. */
    DEVICES,
    /** The vCPU thread is about to be handed the VM. */
    START
}
