package dev.hatchery.orchestrator;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/** Lower-case command-line spellings of enum settings, with an error that lists the accepted values. */
final class CliEnums
{
    private CliEnums()
    {
    }

    static <E extends Enum<E>> E parse(final Class<E> type, final String option, final String value)
    {
        for (final E constant : type.getEnumConstants())
        {
            if (constant.name().equalsIgnoreCase(value))
            {
                return constant;
            }
        }
        throw new IllegalArgumentException("invalid " + option + ": " + value + ": choose one of "
            + Arrays.stream(type.getEnumConstants()).map(e -> e.name().toLowerCase(Locale.ROOT)).collect(Collectors.joining(", ")));
    }
}
