package dev.hatchery.orchestrator.report;

import java.util.Locale;

/** Escaping and number formats for the HTML page and its SVG charts. */
final class Markup
{
    private Markup()
    {
    }

    /** Escapes text for HTML element content and quoted attributes; reasons are guest and VMM strings. */
    static String escape(final String text)
    {
        if (text == null)
        {
            return "";
        }
        final StringBuilder sb = new StringBuilder(text.length() + 16);
        for (int i = 0; i < text.length(); i++)
        {
            final char c = text.charAt(i);
            switch (c)
            {
                case '&' -> sb.append("&amp;");
                case '<' -> sb.append("&lt;");
                case '>' -> sb.append("&gt;");
                case '"' -> sb.append("&quot;");
                case '\'' -> sb.append("&#39;");
                default -> sb.append(c);
            }
        }
        return sb.toString();
    }

    /** An SVG coordinate: one decimal is finer than a pixel. */
    static String coord(final double value)
    {
        return String.format(Locale.ROOT, "%.1f", value);
    }
}
