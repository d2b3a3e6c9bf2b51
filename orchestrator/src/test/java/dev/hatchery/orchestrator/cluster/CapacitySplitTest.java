package dev.hatchery.orchestrator.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

class CapacitySplitTest
{
    @Test
    void shouldGiveEachNodeItsShareOfFreeRoom()
    {
        final List<CapacitySplit.Part> parts = CapacitySplit.split(300, 30, ordered("a", 100, "b", 100, "c", 100));

        assertEquals(List.of(new CapacitySplit.Part("a", 100, 10), new CapacitySplit.Part("b", 100, 10), new CapacitySplit.Part("c", 100, 10)),
            parts);
    }

    @Test
    void shouldFollowUnequalRoomAndGiveTheRoundingLeftoversToTheLargestRemainders()
    {
        final List<CapacitySplit.Part> parts = CapacitySplit.split(10, 4, ordered("a", 1, "b", 2, "c", 7));

        assertEquals(List.of(1, 2, 7), parts.stream().map(CapacitySplit.Part::vms).toList());
        // 7 VMs over room 1/3/3: 1, 3, 3 exactly (7 * 1/7 ... ) and 8 over the same: the leftover goes to the larger room.
        assertEquals(List.of(1, 3, 4), CapacitySplit.split(8, 8, ordered("a", 1, "b", 3, "c", 3)).stream().map(CapacitySplit.Part::vms).toList()
            .subList(0, 3).stream().sorted().toList());
    }

    @Test
    void shouldLeaveANodeWithoutRoomOut()
    {
        final List<CapacitySplit.Part> parts = CapacitySplit.split(50, 8, ordered("full", 0, "free", 20));

        assertEquals(List.of(new CapacitySplit.Part("free", 50, 8)), parts);
    }

    @Test
    void shouldSplitEvenlyWhenNoNodeHasRoomSoEachNodesOwnAdmissionDecides()
    {
        final List<CapacitySplit.Part> parts = CapacitySplit.split(9, 3, ordered("a", 0, "b", 0, "c", 0));

        assertEquals(List.of(3, 3, 3), parts.stream().map(CapacitySplit.Part::vms).toList());
    }

    @Test
    void shouldRefuseNonsense()
    {
        assertThrows(IllegalArgumentException.class, () -> CapacitySplit.split(0, 1, ordered("a", 1)));
        assertThrows(IllegalArgumentException.class, () -> CapacitySplit.split(1, 1, Map.of()));
        assertThrows(IllegalArgumentException.class, () -> CapacitySplit.split(1, 1, ordered("a", -1)));
    }

    @Property(tries = 500)
    void shouldAlwaysAddUpToTheBatchAndStayWithinOneVmOfTheExactShare(@ForAll @IntRange(min = 1, max = 5000) final int count,
        @ForAll @IntRange(min = 1, max = 512) final int concurrency, @ForAll @Size(min = 1, max = 8) final List<@IntRange(min = 0, max = 2000) Integer> rooms)
    {
        final Map<String, Integer> room = new LinkedHashMap<>();
        for (int i = 0; i < rooms.size(); i++)
        {
            room.put("node-" + i, rooms.get(i));
        }
        final List<CapacitySplit.Part> parts = CapacitySplit.split(count, concurrency, room);

        assertEquals(count, parts.stream().mapToInt(CapacitySplit.Part::vms).sum());
        final long total = room.values().stream().mapToLong(Integer::longValue).sum();
        for (final CapacitySplit.Part part : parts)
        {
            final double exact = total == 0 ? (double)count / room.size() : (double)count * room.get(part.node()) / total;
            assertTrue(Math.abs(part.vms() - exact) < 1.0 + 1e-9, part + " against an exact share of " + exact);
            assertTrue(part.concurrency() >= 1 && part.concurrency() <= part.vms(), part.toString());
        }
        parts.forEach(part -> assertTrue(total == 0 || room.get(part.node()) > 0, "a node without room got " + part));
    }

    private static Map<String, Integer> ordered(final Object... pairs)
    {
        final Map<String, Integer> room = new LinkedHashMap<>();
        for (int i = 0; i < pairs.length; i += 2)
        {
            room.put((String)pairs[i], (Integer)pairs[i + 1]);
        }
        return room;
    }
}
