package dev.hatchery.vm;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Arrays;
import java.util.List;
import java.util.Optional;

import org.junit.jupiter.api.Test;

class SpanTest
{
    @Test
    void shouldKeepTheJsonKeysToolsRead()
    {
        assertEquals(List.of("vmm", "guest", "kernel", "init"), Arrays.stream(Span.values()).map(Span::jsonKey).toList());
        assertEquals(Optional.of(Span.KERNEL), Span.ofJsonKey("kernel"));
        assertEquals(Optional.empty(), Span.ofJsonKey("firmware"));
    }

    @Test
    void shouldSplitTheBootAtTheGuestsMilestones()
    {
        assertEquals(List.of(Phase.REQUEST, Phase.KERNEL_ENTRY), List.of(Span.VMM.from(), Span.VMM.to()));
        assertEquals(List.of(Phase.KERNEL_ENTRY, Phase.BOOT_COMPLETE), List.of(Span.GUEST.from(), Span.GUEST.to()));
        assertEquals(List.of(Phase.KERNEL_ENTRY, Phase.INIT_STARTED), List.of(Span.KERNEL.from(), Span.KERNEL.to()));
        assertEquals(List.of(Phase.INIT_STARTED, Phase.BOOT_COMPLETE), List.of(Span.INIT.from(), Span.INIT.to()));
        assertEquals("kernel entry\u2192/init started", Span.KERNEL.description());
    }

    @Test
    void shouldMeasureASpanOnlyWhenBothEndsWereReachedInOrder()
    {
        final Timeline timeline = new Timeline();
        timeline.mark(Phase.REQUEST, 1_000);
        timeline.mark(Phase.KERNEL_ENTRY, 4_000);
        timeline.mark(Phase.BOOT_COMPLETE, 3_000);

        assertEquals(3_000, Span.VMM.nanos(timeline));
        assertEquals(-1, Span.KERNEL.nanos(timeline), "no /init started");
        assertEquals(-1, Span.GUEST.nanos(timeline), "ends out of order");
    }
}
