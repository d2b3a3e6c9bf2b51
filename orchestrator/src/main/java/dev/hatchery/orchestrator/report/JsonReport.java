package dev.hatchery.orchestrator.report;

import java.io.IOException;
import java.nio.file.Path;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;

/** The report as pretty-printed JSON, field names being the record components of {@link BatchReport}. */
public final class JsonReport
{
    // Unknown fields are ignored so that a reader of this version accepts reports from a newer one.
    private static final ObjectMapper MAPPER = new ObjectMapper()
        .enable(SerializationFeature.INDENT_OUTPUT)
        .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    private JsonReport()
    {
    }

    public static String render(final BatchReport report)
    {
        try
        {
            return MAPPER.writeValueAsString(report) + System.lineSeparator();
        }
        catch (final JsonProcessingException ex)
        {
            // Only records, strings, numbers and maps: a failure here is a bug, not an input problem.
            throw new IllegalStateException("cannot serialise batch report: kernel=" + report.kernel() + " (" + ex + ")", ex);
        }
    }

    /** Parses what {@link #render} wrote. */
    public static BatchReport read(final String json)
    {
        try
        {
            return MAPPER.readValue(json, BatchReport.class);
        }
        catch (final JsonProcessingException ex)
        {
            throw new IllegalArgumentException("not a batch report: " + ex.getOriginalMessage(), ex);
        }
    }

    /** Writes the JSON to {@code path} atomically: readers see the old file or the whole new one. */
    public static void write(final BatchReport report, final Path path) throws IOException
    {
        ReportFiles.writeAtomically(path, render(report));
    }
}
