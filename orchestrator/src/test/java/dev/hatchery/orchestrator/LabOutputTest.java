package dev.hatchery.orchestrator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

import org.junit.jupiter.api.Test;

class LabOutputTest
{
    private static final Map<String, String> LAB = Map.of("HATCHERY_IN_LAB", "1", "HATCHERY_LAB_SHARED", "/work/p:/var/tmp/u/.cache/hatchery");

    @Test
    void shouldRefuseAReportOnTheLabsOwnTmpfsNamingPathAndFix()
    {
        final String message = LabOutput.refusal("--json", Path.of("/tmp/x.json"), LAB).orElseThrow();

        assertTrue(message.startsWith("--json /tmp/x.json: inside the emulated lab this file would stay in the lab"), message);
        assertTrue(message.contains("/work/p, /var/tmp/u/.cache/hatchery"), message);
        assertTrue(message.contains("through ./hatchery"), message);
    }

    @Test
    void shouldAcceptAReportBelowASharedFolder()
    {
        assertEquals(Optional.empty(), LabOutput.refusal("--html", Path.of("/var/tmp/u/.cache/hatchery/r/x.html"), LAB));
        assertEquals(Optional.empty(), LabOutput.refusal("--json", Path.of("/work/p/target/../x.json"), LAB));
    }

    @Test
    void shouldRefuseAPathThatOnlyLooksLikeASharedFolder()
    {
        assertTrue(LabOutput.refusal("--json", Path.of("/work/p2/x.json"), LAB).isPresent());
        assertTrue(LabOutput.refusal("--json", Path.of("/work/p/../q/x.json"), LAB).isPresent());
    }

    @Test
    void shouldAcceptAnyPathWhenNotInTheLab()
    {
        assertEquals(Optional.empty(), LabOutput.refusal("--json", Path.of("/tmp/x.json"), Map.of()));
    }

    @Test
    void shouldFailTheBatchCommandBeforeItStartsWhenTheReportWouldBeLost()
    {
        final IllegalArgumentException thrown = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
            () -> LabOutput.requireShared("--html", Path.of("/run/r.html"), LAB));

        assertTrue(thrown.getMessage().startsWith("--html /run/r.html:"), thrown.getMessage());
    }
}
