package dev.hatchery.orchestrator.function;

import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Random;

import org.junit.jupiter.api.Test;

class HandlerCheckTest
{
    @Test
    void shouldAcceptAStaticX8664Executable()
    {
        assertNull(HandlerCheck.problem(TinyElf.staticExecutable()));
    }

    @Test
    void shouldRefuseADynamicallyLinkedOneNamingItsLoaderAndTheFix()
    {
        final String problem = HandlerCheck.problem(TinyElf.dynamicExecutable("/lib64/ld-linux-x86-64.so.2"));

        assertTrue(problem.contains("dynamically linked") && problem.contains("/lib64/ld-linux-x86-64.so.2") && problem.contains("-static"),
            problem);
    }

    @Test
    void shouldRefuseAScriptAnObjectAnotherMachineAndA32BitFile()
    {
        assertTrue(HandlerCheck.problem("#!/bin/sh\necho hi\n".getBytes()).contains("not an ELF file"));
        assertTrue(HandlerCheck.problem(TinyElf.elf(1, 62, null)).contains("relocatable object"));
        assertTrue(HandlerCheck.problem(TinyElf.elf(2, 183, null)).contains("machine 183"));
        final byte[] thirtyTwo = TinyElf.staticExecutable();
        thirtyTwo[4] = 1;
        assertTrue(HandlerCheck.problem(thirtyTwo).contains("32-bit"));
    }

    @Test
    void shouldRefuseProgramHeadersOutsideTheFile()
    {
        final byte[] cut = Arrays.copyOf(TinyElf.staticExecutable(), 80);

        assertTrue(HandlerCheck.problem(cut).contains("outside the file"), HandlerCheck.problem(cut));
    }

    @Test
    void shouldNeverThrowWhateverTheBytes()
    {
        final Random random = new Random(42);
        final byte[] good = TinyElf.dynamicExecutable("/lib/ld.so");
        for (int i = 0; i < 20_000; i++)
        {
            final byte[] mutated = Arrays.copyOf(good, random.nextInt(good.length + 1));
            for (int flips = random.nextInt(8); flips > 0 && mutated.length > 0; flips--)
            {
                mutated[random.nextInt(mutated.length)] = (byte)random.nextInt(256);
            }
            HandlerCheck.problem(mutated);
        }
    }
}
