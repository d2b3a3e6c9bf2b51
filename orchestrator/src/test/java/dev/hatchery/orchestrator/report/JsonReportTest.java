package dev.hatchery.orchestrator.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.hatchery.vm.VmOutcome;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JsonReportTest
{
    @TempDir
    Path dir;

    @Test
    void shouldReadBackAnEqualReportWhenWrittenToAFile() throws IOException
    {
        final BatchReport report = recordedReport();
        final Path path = dir.resolve("reports/batch.json");

        JsonReport.write(report, path);

        assertEquals(report, JsonReport.read(Files.readString(path)));
    }

    @Test
    void shouldLeaveOnlyTheReportWhenWritten() throws IOException
    {
        JsonReport.write(recordedReport(), dir.resolve("batch.json"));
        JsonReport.write(recordedReport(), dir.resolve("batch.json"));

        try (Stream<Path> files = Files.list(dir))
        {
            assertEquals(List.of(dir.resolve("batch.json")), files.toList());
        }
    }

    @Test
    void shouldNameTheFieldsConsumersReadWhenRendered() throws IOException
    {
        final JsonNode json = new ObjectMapper().readTree(JsonReport.render(recordedReport()));

        for (final String field : List.of("kernel", "count", "concurrency", "memoryMode", "booted", "failed", "timedOut",
            "cancelled", "wallSeconds", "throughputPerSecond", "latencyMicros", "phases", "hostCpuSeconds", "peakRssBytes",
            "memoryPerVmBytes", "failures", "lab", "environment", "startedAt"))
        {
            assertTrue(json.has(field), "missing field " + field);
        }
        for (final String field : List.of("count", "min", "mean", "p50", "p90", "p99", "p999", "max", "curve"))
        {
            assertTrue(json.get("latencyMicros").has(field), "missing latencyMicros." + field);
        }
        assertEquals(3, json.get("count").asInt());
        assertEquals(2, json.get("booted").asInt());
        assertEquals(1, json.get("failed").asInt());
        assertEquals(0, json.get("timedOut").asInt());
        assertEquals(2.0, json.get("wallSeconds").asDouble());
        assertEquals(1.0, json.get("throughputPerSecond").asDouble());
        assertEquals(false, json.get("lab").asBoolean());
        final JsonNode failure = json.get("failures").get(0);
        assertEquals("triple_fault", failure.get("code").asText());
        assertEquals("guest", failure.get("stage").asText());
        assertEquals(1, failure.get("count").asInt());
        assertEquals("vm-3", failure.get("exampleVmId").asText());
        assertEquals("rip=0xfff0", failure.get("exampleDetail").asText());
        assertEquals("2025-01-02T03:04:05Z", json.get("startedAt").asText());
    }

    @Test
    void shouldKeepPhasesInPhaseOrderWhenRendered() throws IOException
    {
        final JsonNode phases = new ObjectMapper().readTree(JsonReport.render(recordedReport())).get("phases");

        final List<String> names = new ArrayList<>();
        phases.fieldNames().forEachRemaining(names::add);
        assertEquals(List.of("memoryReady", "kernelLoaded", "bootComplete"), names);
    }

    @Test
    void shouldUseIdentifiersAsKeysWhenRendered() throws IOException
    {
        final JsonNode json = new ObjectMapper().readTree(JsonReport.render(recordedReport()));
        final List<String> keys = new ArrayList<>();
        collectKeys(json, "", keys);

        assertTrue(keys.contains("phases.firstKvmRun") || keys.contains("phases.memoryReady"), keys.toString());
        assertTrue(keys.contains("failures.code"), keys.toString());
        for (final String key : keys)
        {
            assertTrue(key.matches("[a-z][a-zA-Z0-9]*(\\.[a-z][a-zA-Z0-9]*)*"), "not an identifier: " + key);
        }
    }

    private static void collectKeys(final JsonNode node, final String prefix, final List<String> keys)
    {
        if (node.isArray())
        {
            node.forEach(element -> collectKeys(element, prefix, keys));
        }
        node.fields().forEachRemaining(field ->
        {
            final String key = prefix + field.getKey();
            keys.add(key);
            collectKeys(field.getValue(), key + ".", keys);
        });
    }

    @Test
    void shouldNameThePathWhenTheFileCannotBeWritten() throws IOException
    {
        final Path notADirectory = Files.writeString(dir.resolve("file"), "x");
        final Path path = notADirectory.resolve("batch.json");

        final IOException ex = assertThrows(IOException.class, () -> JsonReport.write(recordedReport(), path));

        assertTrue(ex.getMessage().startsWith("cannot write report: path=" + path + " ("), ex.getMessage());
    }

    @Test
    void shouldRejectTextWhenItIsNotAReport()
    {
        final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, () -> JsonReport.read("[1, 2]"));

        assertTrue(ex.getMessage().startsWith("not a batch report: "), ex.getMessage());
    }

    /** A report from the recorder itself, so it holds what real batches hold. */
    private static BatchReport recordedReport()
    {
        final BatchRecorder recorder = new BatchRecorder(
            new BatchRecorder.Settings("linux", 3, 2, "private", false, "native KVM"),
            Clock.fixed(Instant.parse("2025-01-02T03:04:05Z"), ZoneOffset.UTC));
        recorder.start(1_000_000_000L);
        recorder.record(VmResults.booted("vm-1", 21_000_000));
        recorder.record(VmResults.booted("vm-2", 34_000_000));
        recorder.record(VmResults.result("vm-3", VmOutcome.of(VmResults.tripleFault(0xfff0)),
            Map.of(dev.hatchery.vm.Phase.MEMORY_READY, 900_000L)));
        return recorder.finish(3_000_000_000L, new ResourceUsage(0.75, 300L << 20, 100L << 20));
    }
}
