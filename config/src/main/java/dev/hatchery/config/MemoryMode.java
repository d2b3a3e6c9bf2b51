package dev.hatchery.config;

/** How a VM's boot memory (kernel, initrd, boot structures) gets into its RAM. */
public enum MemoryMode
{
    /** Map the kernel's sealed memory template copy-on-write: one mmap per VM, whatever the kernel's size. */
    TEMPLATE,
    /** Copy the prefetched kernel and initrd into fresh memory for every VM (the seed's improved path). */
    COPY
}
