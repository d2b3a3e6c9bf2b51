package dev.hatchery.orchestrator;

/**
 * What this node could take on now: VM slots not reserved ({@code max-vms-in-flight} minus the reserved ones), guest
 * memory the host memory budget and {@code max-total-mem-mib} still admit, and batches it could still start.
 * A cluster splits a batch by it; {@code GET /v1/cluster} shows it per node.
 *
 * @param vmSlots             VMs that could start now (memory aside)
 * @param memoryBytes         bytes of guest RAM plus per-VM overhead still admitted
 * @param perVmOverheadBytes  what the budget counts per VM beside its guest RAM
 * @param batchSlots          batches that could start now
 */
public record FreeCapacity(int vmSlots, long memoryBytes, long perVmOverheadBytes, int batchSlots)
{
    public FreeCapacity
    {
        if (vmSlots < 0 || memoryBytes < 0 || perVmOverheadBytes < 0 || batchSlots < 0)
        {
            throw new IllegalArgumentException("free capacity is never negative: vmSlots=" + vmSlots + " memoryBytes=" + memoryBytes
                + " perVmOverheadBytes=" + perVmOverheadBytes + " batchSlots=" + batchSlots);
        }
    }

    /** VMs of {@code memBytes} guest RAM each this node could start now: its free slots, bounded by memory. */
    public int vmsOf(final long memBytes)
    {
        final long byMemory = memoryBytes / Math.max(1, memBytes + perVmOverheadBytes);
        return batchSlots == 0 ? 0 : (int)Math.min(vmSlots, byMemory);
    }
}
