package dev.hatchery.orchestrator.report;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import jdk.jfr.Recording;

import one.convert.Arguments;
import one.convert.JfrToFlame;

/**
 * Records where this JVM spends host CPU while it runs (JDK Flight Recorder: Java and native method samples every
 * {@link #SAMPLE_PERIOD}) and writes it as a self-contained HTML flame graph (async-profiler's jfr-converter).
 * The raw recording is kept beside it ({@code FILE.jfr}) for JDK Mission Control or {@code jfr print}.
 */
public final class FlameGraphProfile implements AutoCloseable
{
    /** 10 ms, JFR's "profile" setting: fine enough for a batch of seconds, cheap enough not to change it. */
    static final Duration SAMPLE_PERIOD = Duration.ofMillis(10);

    private final Recording recording;
    private final Path html;
    private boolean written;

    private FlameGraphProfile(final Recording recording, final Path html)
    {
        this.recording = recording;
        this.html = html;
    }

    /** Starts sampling now; {@link #write} stops and writes the flame graph to {@code html}. */
    public static FlameGraphProfile start(final Path html)
    {
        final Recording recording = new Recording();
        recording.setName("hatchery-profile");
        recording.enable("jdk.ExecutionSample").withPeriod(SAMPLE_PERIOD);
        recording.enable("jdk.NativeMethodSample").withPeriod(SAMPLE_PERIOD);
        recording.setToDisk(true);
        recording.start();
        return new FlameGraphProfile(recording, html);
    }

    /** Stops sampling and writes the flame graph, titled {@code title}; returns the raw recording's path. */
    public Path write(final String title) throws IOException
    {
        recording.stop();
        final Path jfr = html.resolveSibling(html.getFileName() + ".jfr");
        try
        {
            recording.dump(jfr);
            // jfr-converter reads execution samples by default; --title names the page.
            JfrToFlame.convert(jfr.toString(), html.toString(), new Arguments("--title", title));
        }
        catch (final IOException ex)
        {
            throw new IOException("cannot write profile: path=" + html + " (" + ex.getMessage() + ")", ex);
        }
        if (!Files.isRegularFile(html))
        {
            throw new IOException("cannot write profile: path=" + html + " (the converter wrote nothing)");
        }
        written = true;
        return jfr;
    }

    public boolean written()
    {
        return written;
    }

    @Override
    public void close()
    {
        recording.close();
    }
}
