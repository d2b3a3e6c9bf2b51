package dev.hatchery.orchestrator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;

import org.junit.jupiter.api.Test;

class FunctionBenchCommandTest
{
    private static byte[] bytes(final String text)
    {
        return text.getBytes(StandardCharsets.US_ASCII);
    }

    @Test
    void shouldAcceptOnlyTheAnswerToItsOwnRequest()
    {
        assertNull(FunctionBenchCommand.mismatch("echo", bytes("invocation 1"), bytes("invocation 1")));
        assertTrue(FunctionBenchCommand.mismatch("echo", bytes("invocation 1"), bytes("invocation 2")).contains("expected 'invocation 1'"));
        assertNull(FunctionBenchCommand.mismatch("sha256", bytes("abc"),
            bytes("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad\n")));
        assertNull(FunctionBenchCommand.mismatch("none", bytes("a"), bytes("b")));
    }

    @Test
    void shouldCountAsTheExampleWcDoes()
    {
        assertEquals("2 4 21\n", FunctionBenchCommand.wc(bytes("hello world\nfoo  bar\n")));
        assertEquals("0 1 3\n", FunctionBenchCommand.wc(bytes("abc")));
        assertEquals("0 0 0\n", FunctionBenchCommand.wc(new byte[0]));
    }
}
