package dev.hatchery.orchestrator;

/** Where this process runs its VMs, so every reported time can say whether it is real or emulated. */
final class Environment
{
    private Environment()
    {
    }

    /** True inside the emulated KVM lab (lab/run sets HATCHERY_IN_LAB=1). */
    static boolean inLab()
    {
        return "1".equals(System.getenv("HATCHERY_IN_LAB"));
    }

    static String describe()
    {
        return inLab() ? "lab (emulated: nested KVM under QEMU TCG, ~400x slower)" : "native KVM";
    }
}
