package dev.hatchery.orchestrator;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import com.typesafe.config.ConfigFactory;

import dev.hatchery.orchestrator.report.FloorReport;

class FloorCommandTest
{
    @Test
    void shouldSetTheShellDepthOverTheConfiguredOne()
    {
        assertEquals(8, Hatchery.withShellDepth(ConfigFactory.parseMap(Map.of(Hatchery.SHELLS_DEPTH, 0)), 8).getInt(Hatchery.SHELLS_DEPTH));
    }

    @Test
    void shouldSetShellRecyclingOverTheConfiguredOne()
    {
        assertEquals(false, Hatchery.withShellRecycling(ConfigFactory.load(), false).getBoolean(Hatchery.SHELLS_RECYCLE));
        assertEquals(true, Hatchery.withShellRecycling(ConfigFactory.parseMap(Map.of(Hatchery.SHELLS_RECYCLE, false)), true)
            .getBoolean(Hatchery.SHELLS_RECYCLE));
    }

    @Test
    void shouldSayThroughputAgainstAsManyCProcessesAsVmsInFlight()
    {
        final List<FloorReport.Target> targets = FloorCommand.targets(16);

        assertEquals(List.of("flat spawn\u2192boot-complete p50 \u2264 1.0\u00d7 C", "throughput, 16 in flight, \u2265 1.0\u00d7 16 C processes",
            "with shells, request\u2192boot-complete p50 \u2264 0.25\u00d7 C", "with recycled shells, request\u2192boot-complete p50 \u2264 0.25\u00d7 C",
            "recycling, throughput, 16 in flight, \u2265 1.0\u00d7 16 C processes"), targets.stream().map(FloorReport.Target::what).toList());
        assertEquals("throughput, 1 in flight, \u2265 1.0\u00d7 C", FloorCommand.targets(1).get(1).what());
    }
}
