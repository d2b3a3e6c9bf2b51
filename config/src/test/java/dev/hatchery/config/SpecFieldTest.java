package dev.hatchery.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Set;
import java.util.stream.Collectors;

import org.junit.jupiter.api.Test;

class SpecFieldTest
{
    @Test
    void shouldGiveEveryFieldADistinctCliNameAndApiName()
    {
        final Set<String> cli = Arrays.stream(SpecField.values()).map(SpecField::cliName).collect(Collectors.toSet());
        final Set<String> api = Arrays.stream(SpecField.values()).map(SpecField::apiName).collect(Collectors.toSet());

        assertEquals(SpecField.values().length, cli.size());
        assertEquals(SpecField.values().length, api.size());
        assertTrue(cli.stream().allMatch(name -> name.matches("[a-z]+(-[a-z]+)*")), cli::toString);
        assertTrue(api.stream().allMatch(name -> name.matches("[a-z][a-zA-Z]*")), api::toString);
    }

    @Test
    void shouldNameTheFieldAsTheCommandLineSpellsItWhenASpecIsInvalid()
    {
        final InvalidSpecException ex = new InvalidSpecException(SpecField.MEM_MIB, "mem-mib=0", "must be at least 1");

        assertEquals(SpecField.MEM_MIB, ex.field());
        assertEquals("invalid mem-mib: mem-mib=0: must be at least 1", ex.getMessage());
        assertEquals("memMib", ex.field().apiName());
    }
}
