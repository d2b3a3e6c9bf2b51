package dev.hatchery.orchestrator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * The fault soak at suite size on real KVM (./hatchery soak runs it at 1000, with every guest): good guests beside
 * silent, early-triple-fault, serial-flood and hostile-virtqueue ones, all at once. Two guests are left out here
 * because the emulated lab, not the service, cannot take them reliably (lab/README.md, "Stalls"): a Linux guest
 * booting while the soak makes dozens of VMs stalled on the lab's timer emulation twice in a row (BatchIT, HttpIT and
 * NetIT boot Linux), and a spinning guest's vCPU once did not leave KVM_RUN when its boot timeout kicked it (the lab's
 * emulated SVM does not always turn a host interrupt into an exit from a spinning nested guest). Tried again on 2026-12-06
 * with the lab's TSC fix and QEMU 10: with both guests in, SoakIT stalled twice in a row (nested guests made no KVM exit
 * for 60 s, the lab CPU busy), so they stay out.
 */
class SoakIT
{
    private static final int COUNT = 70;

    @Test
    void shouldEndEveryVmOnceAsItMustAndLeaveNothingHeld() throws Exception
    {
        final com.typesafe.config.Config config = com.typesafe.config.ConfigFactory.load();
        final Soak.Result result = Soak.run(() -> Hatchery.start(config, KernelCatalog.fromEnvironment(System.getenv())),
            config.getString("hatchery.taps.prefix"), COUNT, java.util.EnumSet.of(SoakGuest.GOOD_LINUX, SoakGuest.SPINNING));

        for (final Soak.Row row : result.rows())
        {
            System.out.printf("soak.guest guest=%s vms=%d booted=%d failed=%d timed_out=%d cancelled=%d failures=%s%n", row.guest(), row.count(),
                row.report().booted(), row.report().failed(), row.report().timedOut(), row.report().cancelled(), row.report().failures());
            assertTrue(row.accountedRight(), row.guest() + " must end " + row.guest().expected() + ": " + row.report().failures());
        }
        assertEquals(COUNT, result.rows().stream().mapToInt(Soak.Row::count).sum());
        assertTrue(result.tapsBack(), "every tap back in the pool once the VMs ended");
        assertEquals(result.before(), result.after(), "fds, threads, mappings and taps once the soak's service is closed");
        System.out.printf("soak.result vms=%d wall_s=%.1f held=%s%n", COUNT, result.wallMillis() / 1000.0, result.after());
    }
}
