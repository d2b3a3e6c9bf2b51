package dev.hatchery.vm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class TimelineTest
{
    @Test
    void shouldMeasureEveryPhaseFromTheRequest()
    {
        final Timeline timeline = new Timeline();
        timeline.mark(Phase.REQUEST, 1_000_000);
        timeline.mark(Phase.KERNEL_LOADED, 2_500_000);
        timeline.mark(Phase.BOOT_COMPLETE, 10_000_000);

        assertEquals(0, timeline.sinceRequest(Phase.REQUEST));
        assertEquals(1_500_000, timeline.sinceRequest(Phase.KERNEL_LOADED));
        assertEquals(9_000_000, timeline.sinceRequest(Phase.BOOT_COMPLETE));
        assertEquals(-1, timeline.sinceRequest(Phase.VM_CREATED));
        assertFalse(timeline.reached(Phase.STOPPED));
        assertTrue(timeline.reached(Phase.BOOT_COMPLETE));
    }

    @Test
    void shouldPrintReachedPhasesWithTheSeedsLabels()
    {
        final Timeline timeline = new Timeline();
        timeline.mark(Phase.REQUEST, 1_000_000);
        timeline.mark(Phase.KERNEL_LOADED, 2_500_000);
        timeline.mark(Phase.VM_CREATED, 3_000_000);
        timeline.mark(Phase.BOOT_COMPLETE, 10_000_000);

        assertEquals(String.format("  VM Request          0.000 ms%n  load_kernel         1.500 ms%n  Created             2.000 ms%n"
            + "  Booted              9.000 ms%n"), timeline.format());
    }

    @Test
    void shouldPrintTheVmmKernelAndInitSplitWhenTheGuestReportedBothMilestones()
    {
        final Timeline timeline = new Timeline();
        timeline.mark(Phase.REQUEST, 1_000_000);
        timeline.mark(Phase.FIRST_RUN, 3_000_000);
        timeline.mark(Phase.KERNEL_ENTRY, 3_500_000);
        timeline.mark(Phase.INIT_STARTED, 9_000_000);
        timeline.mark(Phase.BOOT_COMPLETE, 10_000_000);

        assertEquals(String.format("  VMM                 2.500 ms  VM Request\u2192kernel entry%n"
            + "  guest               6.500 ms  kernel entry\u2192Booted%n"
            + "  kernel              5.500 ms  kernel entry\u2192/init started%n"
            + "  init                1.000 ms  /init started\u2192Booted%n"), timeline.formatSpans());
    }

    @Test
    void shouldLeaveOutSpansWhoseEndsTheGuestNeverReported()
    {
        final Timeline flat = new Timeline();
        flat.mark(Phase.REQUEST, 1_000_000);
        flat.mark(Phase.KERNEL_ENTRY, 3_500_000);
        flat.mark(Phase.BOOT_COMPLETE, 4_000_000);
        final Timeline silent = new Timeline();
        silent.mark(Phase.REQUEST, 1_000_000);
        silent.mark(Phase.BOOT_COMPLETE, 4_000_000);

        assertEquals(String.format("  VMM                 2.500 ms  VM Request\u2192kernel entry%n"
            + "  guest               0.500 ms  kernel entry\u2192Booted%n"), flat.formatSpans());
        assertEquals("", silent.formatSpans());
    }
}
