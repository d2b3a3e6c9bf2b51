package dev.hatchery.vm;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class StopCauseTest
{
    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "REQUESTED    | true  | BOOTED    | stopped by request",
        "REQUESTED    | false | CANCELLED | stopped by request before boot-complete",
        "BOOT_TIMEOUT | false | TIMED_OUT | no boot-complete within 250 ms",
        "BOOT_TIMEOUT | true  | BOOTED    | stopped by request"})
    void shouldGiveTheOutcomeThatMatchesWhetherTheGuestHadBooted(final StopCause cause, final boolean booted,
        final VmOutcome.Kind kind, final String reason)
    {
        assertEquals(new VmOutcome(kind, reason), cause.outcome(booted, 250));
    }
}
