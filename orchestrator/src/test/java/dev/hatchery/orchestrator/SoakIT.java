package dev.hatchery.orchestrator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * The fault soak at suite size on real KVM (./hatchery soak runs it at 1000): good flat and Linux guests beside silent,
 * spinning, early-triple-fault, serial-flood and hostile-virtqueue ones, all at once, each kind a batch (and a shell
 * shape) of its own. With seven shapes in use at once and four kept, the shell pool once dropped and remade shapes
 * without end until no VM ran (the lab then declared itself stalled); a kept shape in use is no longer dropped.
 */
class SoakIT
{
    private static final int COUNT = 70;

    @Test
    void shouldEndEveryVmOnceAsItMustAndLeaveNothingHeld() throws Exception
    {
        final com.typesafe.config.Config config = com.typesafe.config.ConfigFactory.load();
        final Soak.Result result = Soak.run(() -> Hatchery.start(config, KernelCatalog.fromEnvironment(System.getenv())),
            config.getString("hatchery.taps.prefix"), COUNT, java.util.EnumSet.noneOf(SoakGuest.class));

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
