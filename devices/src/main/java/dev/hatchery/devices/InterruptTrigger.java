package dev.hatchery.devices;

/**
 * Something that raises a guest interrupt (KVM_IRQ_LINE pulse now, an irqfd eventfd later), so devices
 * stay free of the native calls that deliver it.
 */
@FunctionalInterface
public interface InterruptTrigger
{
    void trigger();
}
