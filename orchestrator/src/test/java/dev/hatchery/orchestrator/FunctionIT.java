package dev.hatchery.orchestrator;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;

import dev.hatchery.config.FunctionMailbox;
import dev.hatchery.config.SpawnMode;
import dev.hatchery.orchestrator.function.FunctionDeployment;
import dev.hatchery.orchestrator.function.FunctionInfo;
import dev.hatchery.orchestrator.function.FunctionNotFoundException;
import dev.hatchery.orchestrator.function.Invocation;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Functions on real KVM (natively or in the lab), with the examples and the tests' probe handler that guest/build
 * makes: deploy boots each function's template once; every invocation is a fresh clone that serves it through the
 * mailbox and is destroyed.
 */
class FunctionIT
{
    private static final Duration TIMEOUT = Duration.ofSeconds(60);

    @TempDir
    static Path store;

    private static Hatchery hatchery;
    private static Path handlers;

    @BeforeAll
    static void start()
    {
        final String dir = System.getenv("HATCHERY_EXAMPLE_FUNCTIONS");
        assertNotNull(dir, "HATCHERY_EXAMPLE_FUNCTIONS is not set: run the tests through ./hatchery test, which builds the example functions");
        handlers = Path.of(dir);
        assertTrue(Files.isRegularFile(handlers.resolve("echo")), "no example functions in " + handlers + ": rebuild with guest/build linux");
        hatchery = Hatchery.start(config(store), KernelCatalog.fromEnvironment(System.getenv()));
        for (final String name : List.of("echo", "sha256", "wc", "probe"))
        {
            deploy(hatchery, name, name, TIMEOUT);
        }
    }

    private static Config config(final Path dir)
    {
        return ConfigFactory.parseMap(Map.of("hatchery.functions.dir", dir.toString())).withFallback(ConfigFactory.load());
    }

    private static FunctionInfo deploy(final Hatchery on, final String name, final String handler, final Duration timeout)
    {
        try
        {
            return on.functions().deploy(new FunctionDeployment(name, Files.readAllBytes(handlers.resolve(handler)), 128, timeout,
                FunctionMailbox.DEFAULT_CAPACITY)).toCompletableFuture().join();
        }
        catch (final IOException ex)
        {
            throw new IllegalStateException(ex);
        }
    }

    @AfterAll
    static void stop()
    {
        if (hatchery != null)
        {
            hatchery.close();
        }
    }

    private static Invocation invoke(final String name, final byte[] request)
    {
        return hatchery.functions().invoke(name, request).toCompletableFuture().join();
    }

    private static Invocation invoke(final String name, final String request)
    {
        return invoke(name, request.getBytes(StandardCharsets.UTF_8));
    }

    private static String text(final Invocation invocation)
    {
        return new String(invocation.response(), StandardCharsets.UTF_8);
    }

    private static String sha256(final byte[] bytes) throws Exception
    {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    }

    @Test
    void shouldAnswerEachExampleFromAFreshCloneWithTheRightResult() throws Exception
    {
        final String words = "the quick brown fox\njumps over\tthe lazy dog\n";

        final Invocation echo = invoke("echo", words);
        final Invocation sha = invoke("sha256", words);
        final Invocation wc = invoke("wc", words);

        assertEquals(Invocation.Status.SUCCEEDED, echo.status(), echo.detail());
        assertEquals(words, text(echo));
        assertEquals(sha256(words.getBytes(StandardCharsets.UTF_8)) + "\n", text(sha));
        assertEquals("2 9 " + words.length() + "\n", text(wc));
        assertEquals(0, echo.exitStatus());
        assertTrue(echo.timings().cloneMs() > 0 && echo.timings().runMs() > 0 && echo.timings().collectMs() >= 0, echo.timings().toString());
        assertFalse(echo.vmId().equals(sha.vmId()) || sha.vmId().equals(wc.vmId()), "one clone per invocation");
    }

    @Test
    void shouldCarryAMebibyteIntactBothWaysAndAnEmptyRequest() throws Exception
    {
        final byte[] mebibyte = new byte[FunctionMailbox.DEFAULT_CAPACITY];
        new Random(7).nextBytes(mebibyte);

        final Invocation echoed = invoke("echo", mebibyte);
        final Invocation hashed = invoke("sha256", mebibyte);
        final Invocation empty = invoke("echo", new byte[0]);

        assertEquals(Invocation.Status.SUCCEEDED, echoed.status(), echoed.detail());
        assertArrayEquals(mebibyte, echoed.response());
        assertEquals(sha256(mebibyte) + "\n", text(hashed));
        assertEquals(Invocation.Status.SUCCEEDED, empty.status(), empty.detail());
        assertEquals(0, empty.response().length);
    }

    @Test
    void shouldShowNoInvocationWhatAnEarlierOneWrote()
    {
        final List<String> seen = new ArrayList<>();
        for (int i = 0; i < 3; i++)
        {
            seen.add(text(invoke("probe", "mark")));
        }
        final List<CompletableFuture<Invocation>> parallel = new ArrayList<>();
        for (int i = 0; i < 8; i++)
        {
            parallel.add(hatchery.functions().invoke("probe", "mark".getBytes(StandardCharsets.UTF_8)).toCompletableFuture());
        }
        parallel.forEach(invocation -> seen.add(text(invocation.join())));

        assertEquals(java.util.Collections.nCopies(11, "fresh\n"), seen, "each invocation runs in its own clone: /marker is never there");
    }

    @Test
    void shouldReportHowAFailingHandlerEnded()
    {
        final Invocation failed = invoke("probe", "fail");
        final Invocation crashed = invoke("probe", "crash");
        final Invocation tooBig = invoke("probe", "big " + (FunctionMailbox.DEFAULT_CAPACITY + 1));
        final Invocation noisy = invoke("probe", "noise 100000");
        final Invocation unknown = invoke("probe", "what");

        assertEquals(Invocation.Status.HANDLER_FAILED, failed.status());
        assertEquals(3, failed.exitStatus());
        assertEquals("probe: failing on purpose\n", new String(failed.stderrTail(), StandardCharsets.UTF_8));
        assertEquals(Invocation.Status.HANDLER_FAILED, crashed.status());
        assertNull(crashed.exitStatus());
        assertEquals("killed by signal 11", crashed.detail());
        assertEquals(Invocation.Status.HANDLER_FAILED, tooBig.status());
        assertEquals("response larger than the payload limit", tooBig.detail());
        assertEquals(Invocation.Status.SUCCEEDED, noisy.status(), noisy.detail());
        assertEquals(FunctionMailbox.STDERR_BYTES, noisy.stderrTail().length, "the last 4 KiB of stderr, no more");
        final String tail = new String(noisy.stderrTail(), StandardCharsets.US_ASCII);
        assertTrue(tail.endsWith("\n") || tail.matches("(?s).*noise \\d*$"), tail.substring(Math.max(0, tail.length() - 40)));
        assertEquals(2, unknown.exitStatus());
    }

    @Test
    void shouldStopAHandlerThatRunsPastItsTimeout()
    {
        deploy(hatchery, "sleepy", "probe", Duration.ofSeconds(3));

        final Invocation slow = invoke("sleepy", "sleep");

        assertEquals(Invocation.Status.TIMED_OUT, slow.status(), slow.detail());
        assertTrue(slow.detail().contains("did not reply within 3000 ms"), slow.detail());
        assertTrue(hatchery.functions().delete("sleepy"));
        assertTrue(hatchery.functions().get("sleepy").isEmpty());
    }

    @Test
    void shouldRefuseARequestOverTheLimitAndAnUnknownFunction()
    {
        final CompletionException tooBig = assertThrows(CompletionException.class,
            () -> invoke("echo", new byte[FunctionMailbox.DEFAULT_CAPACITY + 1]));
        final CompletionException unknown = assertThrows(CompletionException.class, () -> invoke("nobody", "hi"));

        assertTrue(tooBig.getCause() instanceof RefusedException refused && refused.refusal().kind() == Refusal.Kind.INVALID, tooBig.toString());
        assertTrue(unknown.getCause() instanceof FunctionNotFoundException, unknown.toString());
    }

    @Test
    void shouldRunAnInvocationColdInAVmThatBoots()
    {
        final Invocation cold = hatchery.functions().invoke("wc", "a b c\n".getBytes(StandardCharsets.UTF_8), SpawnMode.BOOT)
            .toCompletableFuture().join();

        assertEquals(Invocation.Status.SUCCEEDED, cold.status(), cold.detail());
        assertEquals("1 3 6\n", text(cold));
        assertTrue(cold.timings().cloneMs() > 0, cold.timings().toString());
    }

    @Test
    void shouldFindDeployedFunctionsAfterARestartAndReleaseEveryClone() throws Exception
    {
        invoke("echo", "before");
        try (Hatchery restarted = Hatchery.start(config(store), KernelCatalog.fromEnvironment(System.getenv())))
        {
            final List<String> names = restarted.functions().list().stream().map(FunctionInfo::name).toList();
            assertTrue(names.containsAll(List.of("echo", "probe", "sha256", "wc")), names.toString());
            assertFalse(restarted.functions().get("echo").orElseThrow().ready(), "no template in a new process until it is needed");

            final Invocation again = restarted.functions().invoke("echo", "after a restart".getBytes(StandardCharsets.UTF_8))
                .toCompletableFuture().join();

            assertEquals("after a restart", text(again));
            assertTrue(restarted.functions().get("echo").orElseThrow().ready());
            awaitNoLiveVms(restarted);
        }
        awaitNoLiveVms(hatchery);
    }

    private static void awaitNoLiveVms(final Hatchery on) throws InterruptedException
    {
        final long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (on.liveVms() > 0 && System.nanoTime() < deadline)
        {
            Thread.sleep(50);
        }
        assertEquals(0, on.liveVms(), "every invocation's clone is released once it replied");
        final String metrics = on.metrics().render();
        assertTrue(metrics.contains("hatchery_function_invocations_running 0"), metrics);
    }
}
