package dev.hatchery.vm;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class StopCauseTest
{
    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "REQUESTED    | true  | BOOTED    | stopped by request                       | ",
        "REQUESTED    | false | CANCELLED | stopped by request before boot-complete | cancelled",
        "BOOT_TIMEOUT | false | TIMED_OUT | no boot-complete within 250 ms           | boot_timeout",
        "BOOT_TIMEOUT | true  | BOOTED    | stopped by request                       | "})
    void shouldGiveTheOutcomeThatMatchesWhetherTheGuestHadBooted(final StopCause cause, final boolean booted,
        final VmOutcome.Kind kind, final String reason, final String failureCode)
    {
        final VmOutcome outcome = cause.outcome(booted, 250);
        assertEquals(kind, outcome.kind());
        assertEquals(reason, outcome.reason());
        assertEquals(failureCode, outcome.failure() == null ? null : outcome.failure().code());
    }
}
