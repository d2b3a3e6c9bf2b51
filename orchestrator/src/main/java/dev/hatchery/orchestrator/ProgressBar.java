package dev.hatchery.orchestrator;

import java.util.Locale;

/** One line of batch progress for a terminal: a bar of ended VMs, then the counts and the boot rate. */
final class ProgressBar
{
    private static final int WIDTH = 30;

    private ProgressBar()
    {
    }

    static String render(final BatchProgress progress, final String label)
    {
        final int filled = progress.count() == 0 ? WIDTH : (int)((long)progress.ended() * WIDTH / progress.count());
        return String.format(Locale.ROOT, "%s [%s%s] %d/%d booted=%d failed=%d timed_out=%d in_flight=%d rate=%.1f/s",
            label, "#".repeat(filled), ".".repeat(WIDTH - filled), progress.ended(), progress.count(), progress.booted(),
            progress.failed() + progress.cancelled(), progress.timedOut(), progress.inFlight(), progress.bootsPerSecond());
    }
}
