package dev.hatchery.orchestrator.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HtmlReportTest
{
    @TempDir
    Path dir;

    @Test
    void shouldDrawExactlyTwoChartsWhenRendered()
    {
        final String html = HtmlReport.render(Reports.sample(false, List.of()));

        assertEquals(2, occurrences(html, "<svg"));
        assertEquals(2, occurrences(html, "</svg>"));
        assertTrue(html.startsWith("<!DOCTYPE html>"), html);
        assertTrue(html.endsWith("</html>\n"), html);
    }

    @Test
    void shouldEscapeAReasonWhenItContainsMarkup()
    {
        final String html = HtmlReport.render(Reports.sample(false, List.of(new FailureGroup("host_error", "host", "<script>alert('x')</script> & more", 3, "vm-1", ""))));

        assertTrue(html.contains("<td class=\"num\">3</td><td>host_error</td><td>&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; more</td>"),
            html);
        assertFalse(html.contains("<script"), html);
    }

    @Test
    void shouldSayTimingsAreEmulatedWhenTheBatchRanInTheLab()
    {
        final String html = HtmlReport.render(Reports.sample(true, List.of()));

        assertTrue(html.contains("<p class=\"lab\">Timings are EMULATED (lab: lab (emulated by TCG))"), html);
        assertTrue(html.toLowerCase(Locale.ROOT).contains("emulated"), html);
        assertEquals(2, occurrences(html, "EMULATED (lab) timings"), "both charts say so");
    }

    @Test
    void shouldNotSayEmulatedWhenTheBatchRanOnKvm()
    {
        final String html = HtmlReport.render(Reports.sample(false, List.of()));

        assertFalse(html.toLowerCase(Locale.ROOT).contains("emulated"), html);
    }

    @Test
    void shouldShowTheSummaryAndLatencyTablesWhenRendered()
    {
        final String html = HtmlReport.render(Reports.sample(false, List.of()));

        assertTrue(html.contains("<tr><th>booted</th><td>997</td></tr>"), html);
        assertTrue(html.contains("<tr><th>throughput</th><td>79.76 VMs/s</td></tr>"), html);
        assertTrue(html.contains("<tr><th>spawn\u2192boot-complete</th><td class=\"num\">1.234</td><td class=\"num\">2.345</td>"
            + "<td class=\"num\">3.456</td><td class=\"num\">4.567</td><td class=\"num\">5.678</td><td class=\"num\">997</td></tr>"),
            html);
        assertTrue(html.contains("<tr><th>load_kernel</th>"), html);
        assertTrue(html.contains("<p>none</p>"), html);
    }

    @Test
    void shouldShowWhereBootTimeWentWhenGuestsReportedMilestones()
    {
        final String html = HtmlReport.render(Reports.sample(false, List.of()));

        assertTrue(html.contains("<h2>Where boot time went (ms, per VM)</h2>"), html);
        assertTrue(html.contains("<tr><th>VMM (VM Request\u2192kernel entry)</th><td class=\"num\">0.600</td>"), html);
        assertTrue(html.contains("<tr><th>kernel (kernel entry\u2192/init started)</th><td class=\"num\">0.500</td>"), html);
        assertTrue(html.contains("<tr><th>init (/init started\u2192Booted)</th><td class=\"num\">0.134</td>"), html);
        assertTrue(html.contains("<tr><th>/init started</th>"), html);
        assertFalse(HtmlReport.render(Reports.nothingBooted()).contains("Where boot time went"));
    }

    @Test
    void shouldLabelTheNinesAxisWhenDrawingTheCurve()
    {
        final String html = HtmlReport.render(Reports.sample(false, List.of()));

        for (final String label : List.of(">0</text>", ">90</text>", ">99</text>", ">99.9</text>", "latency (ms)"))
        {
            assertTrue(html.contains(label), label);
        }
        assertTrue(html.contains("<polyline class=\"curve\""), html);
    }

    @Test
    void shouldFetchNothingWhenOpened()
    {
        final String html = HtmlReport.render(Reports.sample(true, List.of(new FailureGroup("host_error", "host", "x", 1, "vm-1", ""))));

        assertEquals(occurrences(html, "http://www.w3.org/2000/svg"), occurrences(html, "http"), "only SVG namespaces");
        assertFalse(html.contains("<script"), html);
        assertFalse(html.contains("<link"), html);
        assertFalse(html.contains("src="), html);
    }

    @Test
    void shouldStillDrawTwoChartsWhenNothingBooted()
    {
        final String html = HtmlReport.render(Reports.nothingBooted());

        assertEquals(2, occurrences(html, "<svg"));
        assertTrue(html.contains(">no VM reached boot-complete</text>"), html);
        assertTrue(html.contains(">no phase reached</text>"), html);
        assertTrue(html.contains("<tr><th>peak RSS</th><td>n/a</td></tr>"), html);
    }

    @Test
    void shouldWriteThePageAloneWhenGivenAPath() throws IOException
    {
        final Path path = dir.resolve("batch.html");

        HtmlReport.write(Reports.sample(false, List.of()), path);

        assertEquals(HtmlReport.render(Reports.sample(false, List.of())), Files.readString(path));
        try (Stream<Path> files = Files.list(dir))
        {
            assertEquals(List.of(path), files.toList());
        }
    }

    private static int occurrences(final String text, final String needle)
    {
        int count = 0;
        for (int at = text.indexOf(needle); at >= 0; at = text.indexOf(needle, at + 1))
        {
            count++;
        }
        return count;
    }
}
