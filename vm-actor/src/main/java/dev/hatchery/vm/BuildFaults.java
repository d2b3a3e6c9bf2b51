package dev.hatchery.vm;

/**
 * Called at each {@link BuildStep} of building and starting a VM; a test's implementation throws to fail that step.
 * Production builds use {@link #NONE}.
 */
@FunctionalInterface
interface BuildFaults
{
    BuildFaults NONE = step ->
    {
    };

    void at(BuildStep step);
}
