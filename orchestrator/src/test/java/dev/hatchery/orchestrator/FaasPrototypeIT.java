package dev.hatchery.orchestrator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The embedding example (examples/faas-prototype), a separate Maven project that depends only on Hatchery's installed
 * coordinates: ./hatchery test installs Hatchery (mvn install) and builds the example against it before the KVM tests;
 * here it runs as its own process on real KVM, deploys echo and serves invocations, each from a fresh clone.
 */
class FaasPrototypeIT
{
    @TempDir
    Path functions;

    private static Path projectRoot()
    {
        Path dir = Path.of(System.getProperty("user.dir")).toAbsolutePath();
        while (dir != null && !Files.isDirectory(dir.resolve("examples/faas-prototype")))
        {
            dir = dir.getParent();
        }
        assertNotNull(dir, "examples/faas-prototype not found above " + System.getProperty("user.dir"));
        return dir;
    }

    @Test
    void shouldServeInvocationsFromTheExampleBuiltOnlyAgainstTheInstalledArtifacts() throws Exception
    {
        final Path jar = projectRoot().resolve("examples/faas-prototype/target/faas-prototype.jar");
        assertTrue(Files.isRegularFile(jar), jar + " is missing: run the tests through ./hatchery test, which installs Hatchery"
            + " (mvn install) and builds the example (mvn -f examples/faas-prototype/pom.xml package)");
        final String examples = System.getenv("HATCHERY_EXAMPLE_FUNCTIONS");
        assertNotNull(examples, "HATCHERY_EXAMPLE_FUNCTIONS is not set: run the tests through ./hatchery test");
        final Process prototype = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            "-Dhatchery.functions.dir=" + functions, "-Xmx512m", "-jar", jar.toString(), Path.of(examples, "echo").toString(), "0")
            .redirectErrorStream(true).start();
        try
        {
            final BufferedReader out = new BufferedReader(new InputStreamReader(prototype.getInputStream(), StandardCharsets.UTF_8));
            final List<String> seen = new ArrayList<>();
            final CompletableFuture<Integer> port = CompletableFuture.supplyAsync(() ->
            {
                try
                {
                    for (String line = out.readLine(); line != null; line = out.readLine())
                    {
                        seen.add(line);
                        if (line.startsWith("faas-prototype: listening on "))
                        {
                            return Integer.parseInt(line.substring("faas-prototype: listening on ".length()).trim());
                        }
                    }
                    return -1;
                }
                catch (final java.io.IOException ex)
                {
                    return -1;
                }
            });
            final int listening = port.get(10, TimeUnit.MINUTES);
            assertTrue(listening > 0, "the prototype did not start; it printed: " + String.join("\n", seen));
            // Keep draining its output so it never blocks on a full pipe.
            CompletableFuture.runAsync(() -> out.lines().forEach(line -> { }));

            final HttpClient client = HttpClient.newHttpClient();
            final List<String> clones = new ArrayList<>();
            for (int i = 0; i < 3; i++)
            {
                final String body = "request " + i + " to the prototype";
                final HttpResponse<String> response = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + listening + "/invoke/echo"))
                    .timeout(Duration.ofMinutes(2)).POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
                assertEquals(200, response.statusCode(), response.body());
                assertEquals(body, response.body());
                clones.add(response.headers().firstValue("X-Clone").orElseThrow());
            }
            assertEquals(3, clones.stream().distinct().count(), "one clone per invocation: " + clones);
        }
        finally
        {
            // SIGTERM: its shutdown hook stops the server and closes Hatchery (every VM, KVM, the templates).
            prototype.destroy();
            if (!prototype.waitFor(2, TimeUnit.MINUTES))
            {
                prototype.destroyForcibly();
            }
        }
        assertEquals(143, prototype.exitValue(), "the prototype stops on SIGTERM (128 + 15), after its shutdown hook");
    }
}
