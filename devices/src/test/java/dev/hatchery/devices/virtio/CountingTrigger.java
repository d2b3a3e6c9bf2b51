package dev.hatchery.devices.virtio;

import dev.hatchery.devices.InterruptTrigger;

/** Test double: counts interrupts instead of raising them. */
final class CountingTrigger implements InterruptTrigger
{
    int count;

    @Override
    public void trigger()
    {
        count++;
    }
}
