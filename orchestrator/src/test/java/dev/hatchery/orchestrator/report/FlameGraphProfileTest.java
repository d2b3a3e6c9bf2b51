package dev.hatchery.orchestrator.report;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FlameGraphProfileTest
{
    @TempDir
    Path dir;

    /** Burns CPU in a method whose name the flame graph must show (real work: JFR cannot sample a bare clock loop). */
    private static long spinInAMethodTheProfileMustShow(final long nanos)
    {
        final long end = System.nanoTime() + nanos;
        long x = 1;
        while (System.nanoTime() < end)
        {
            for (int i = 0; i < 1_000_000; i++)
            {
                x = x * 6364136223846793005L + i;
            }
        }
        return x;
    }

    @Test
    void shouldWriteAnHtmlFlameGraphThatShowsWhereTheCpuWentAndKeepTheRecording() throws IOException
    {
        final Path html = dir.resolve("profile.html");
        final Path recording;
        try (FlameGraphProfile profile = FlameGraphProfile.start(html))
        {
            spinInAMethodTheProfileMustShow(1_500_000_000L);
            recording = profile.write("unit test");
            assertTrue(profile.written());
        }

        final String page = Files.readString(html);
        assertTrue(page.startsWith("<!DOCTYPE html>"), page.substring(0, Math.min(200, page.length())));
        // The page prefix-compresses frame names against the previous one (e.g. the class name and "s" of "should..."),
        // so look for the method name's distinctive tail.
        assertTrue(page.contains("MethodTheProfileMustShow"), "the busy method is missing from the flame graph");
        assertTrue(page.contains("unit test"), "the title is missing");
        assertTrue(Files.size(recording) > 0, recording.toString());
    }

    @Test
    void shouldNameThePathWhenTheFlameGraphCannotBeWritten() throws IOException
    {
        final Path notADirectory = Files.writeString(dir.resolve("file"), "x");
        try (FlameGraphProfile profile = FlameGraphProfile.start(notADirectory.resolve("profile.html")))
        {
            final IOException ex = assertThrows(IOException.class, () -> profile.write("unit test"));

            assertTrue(ex.getMessage().startsWith("cannot write profile: path=" + notADirectory.resolve("profile.html")), ex.getMessage());
        }
    }
}
