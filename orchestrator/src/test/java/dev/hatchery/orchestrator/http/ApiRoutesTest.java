package dev.hatchery.orchestrator.http;

import dev.hatchery.orchestrator.function.TinyElf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.regex.Pattern;

import akka.actor.typed.ActorSystem;
import akka.actor.typed.javadsl.Behaviors;

import dev.hatchery.orchestrator.Refusal;
import dev.hatchery.orchestrator.ScriptedVmService;

import com.fasterxml.jackson.databind.JsonNode;
import com.typesafe.config.ConfigFactory;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Every endpoint and the bad inputs, over real HTTP against the real routes and server, with a scripted
 * service behind them (no KVM needed). HttpIT runs the same API over real VMs in the lab.
 */
class ApiRoutesTest
{
    private static final String TOKEN = "0123456789abcdef0123456789abcdef";

    @TempDir
    static Path dir;

    private static ActorSystem<Void> system;
    private static ScriptedVmService service;
    private static HttpServer open;
    private static HttpServer guarded;
    private static ApiClient client;
    /** Every request the scenarios made, with its status: the OpenAPI document must list each status for its operation. */
    private static final List<ApiClient.Exchange> SEEN = new CopyOnWriteArrayList<>();

    @BeforeAll
    static void start() throws IOException
    {
        final Path flat = Files.write(dir.resolve("flat.elf"), new byte[]{1});
        system = ActorSystem.create(Behaviors.empty(), "api-routes-test");
        service = new ScriptedVmService(flat, 20);
        final HttpSettings settings = new HttpSettings("127.0.0.1", 0, Optional.empty(), 4096, Duration.ofSeconds(3));
        open = HttpServer.start(system, service, settings, 1000, 256);
        guarded = HttpServer.start(system, service, new HttpSettings("127.0.0.1", 0, Optional.of(TOKEN), 4096, Duration.ofSeconds(3)),
            1000, 256);
        client = new ApiClient("http://127.0.0.1:" + open.address().getPort(), null, SEEN::add);
    }

    @AfterAll
    static void stop() throws IOException
    {
        try
        {
            assertEveryStatusSeenIsDocumented();
        }
        finally
        {
            closeAll();
        }
    }

    private static void closeAll()
    {
        open.close();
        guarded.close();
        service.close();
        system.terminate();
    }

    @Test
    void shouldDeployListReadInvokeAndDeleteAFunction() throws Exception
    {
        final HttpResponse<String> created = client.sendBytes("PUT", "/v1/functions/echo?timeoutMs=2000", TinyElf.staticExecutable());
        final HttpResponse<String> replaced = client.sendBytes("PUT", "/v1/functions/echo?timeoutMs=2000", TinyElf.staticExecutable());
        final HttpResponse<String> list = client.get("/v1/functions");
        final HttpResponse<String> one = client.get("/v1/functions/echo");
        final HttpResponse<String> invoked = client.sendBytes("POST", "/v1/functions/echo/invocations", "hello\0bytes".getBytes(StandardCharsets.UTF_8));

        assertEquals(201, created.statusCode(), created.body());
        assertEquals("/v1/functions/echo", created.headers().firstValue("Location").orElseThrow());
        assertEquals(200, replaced.statusCode(), replaced.body());
        assertTrue(list.body().contains("\"name\":\"echo\""), list.body());
        assertEquals(2000, ApiClient.json(one).get("timeoutMs").asInt());
        assertEquals(1048576, ApiClient.json(one).get("payloadLimitBytes").asInt());
        assertEquals(200, invoked.statusCode(), invoked.body());
        assertEquals("hello\0bytes", invoked.body());
        assertEquals("application/octet-stream", invoked.headers().firstValue("Content-Type").orElseThrow());
        assertEquals("queue;dur=1.000, clone;dur=2.000, run;dur=1.500, collect;dur=0.500, total;dur=5.000",
            invoked.headers().firstValue("Server-Timing").orElseThrow());
        assertEquals("vm-4", invoked.headers().firstValue("Hatchery-Vm").orElseThrow());
        assertEquals(204, client.delete("/v1/functions/echo").statusCode());
        assertEquals(404, client.get("/v1/functions/echo").statusCode());
        assertEquals(404, client.delete("/v1/functions/echo").statusCode());
    }

    @Test
    void shouldAnswerADeployThatTakesSeconds() throws Exception
    {
        // Bigger than hatchery.http.max-body-bytes (4096 here), which bounds JSON bodies only: handlers have their own limit.
        final HttpResponse<String> slow = client.sendBytes("PUT", "/v1/functions/slow", java.util.Arrays.copyOf(TinyElf.staticExecutable(), 100_000));

        assertEquals(201, slow.statusCode(), slow.body());
    }

    @Test
    void shouldAnswerAFailedHandlerWith502ATimeoutWith504AndAFullServiceWith429() throws Exception
    {
        client.sendBytes("PUT", "/v1/functions/probe", TinyElf.staticExecutable());

        final HttpResponse<String> failed = client.sendBytes("POST", "/v1/functions/probe/invocations", "fail".getBytes(StandardCharsets.UTF_8));
        final HttpResponse<String> crashed = client.sendBytes("POST", "/v1/functions/probe/invocations", "crash".getBytes(StandardCharsets.UTF_8));
        final HttpResponse<String> slow = client.sendBytes("POST", "/v1/functions/probe/invocations", "sleep".getBytes(StandardCharsets.UTF_8));
        final HttpResponse<String> busy = client.sendBytes("POST", "/v1/functions/probe/invocations", "busy".getBytes(StandardCharsets.UTF_8));

        assertEquals(502, failed.statusCode(), failed.body());
        assertEquals("application/problem+json", failed.headers().firstValue("Content-Type").orElseThrow());
        assertEquals(3, ApiClient.json(failed).get("exitStatus").asInt());
        assertEquals("probe: failing on purpose\n", ApiClient.json(failed).get("stderr").asText());
        assertEquals("handler_failed", ApiClient.json(failed).get("outcome").asText());
        assertTrue(ApiClient.json(failed).get("detail").asText().contains("exit status 3"), failed.body());
        assertEquals(502, crashed.statusCode());
        assertFalse(ApiClient.json(crashed).has("exitStatus"), crashed.body());
        assertTrue(ApiClient.json(crashed).get("detail").asText().contains("signal 11"), crashed.body());
        assertEquals(504, slow.statusCode(), slow.body());
        assertEquals("timed_out", ApiClient.json(slow).get("outcome").asText());
        final HttpResponse<String> full = client.sendBytes("PUT", "/v1/functions/one-too-many", TinyElf.staticExecutable());
        assertEquals(429, full.statusCode(), full.body());
        assertEquals("urn:hatchery:problem:too-many-functions", ApiClient.json(full).get("type").asText());
        assertTrue(ApiClient.json(full).get("detail").asText().contains("delete one first"), full.body());
        assertEquals(429, busy.statusCode(), busy.body());
        assertEquals("urn:hatchery:problem:too-many-invocations", ApiClient.json(busy).get("type").asText());
        assertEquals("3", busy.headers().firstValue("Retry-After").orElseThrow());
    }

    @Test
    void shouldRefuseBadFunctionsAndRequestsNamingWhatIsWrong() throws Exception
    {
        client.sendBytes("PUT", "/v1/functions/small?payloadLimitBytes=4096", TinyElf.staticExecutable());

        final HttpResponse<String> script = client.sendBytes("PUT", "/v1/functions/script", "#!/bin/sh\necho hi\n".getBytes(StandardCharsets.UTF_8));
        final HttpResponse<String> dynamic = client.sendBytes("PUT", "/v1/functions/dynamic", TinyElf.dynamicExecutable("/lib/ld.so"));
        final HttpResponse<String> badName = client.sendBytes("PUT", "/v1/functions/Echo", TinyElf.staticExecutable());
        final HttpResponse<String> badLimit = client.sendBytes("PUT", "/v1/functions/odd?payloadLimitBytes=5000", TinyElf.staticExecutable());
        final HttpResponse<String> badTimeout = client.sendBytes("PUT", "/v1/functions/odd?timeoutMs=soon", TinyElf.staticExecutable());
        final HttpResponse<String> tooBig = client.sendBytes("POST", "/v1/functions/small/invocations", new byte[4097]);
        final HttpResponse<String> fits = client.sendBytes("POST", "/v1/functions/small/invocations", new byte[4096]);
        final HttpResponse<String> unknown = client.sendBytes("POST", "/v1/functions/nobody/invocations", new byte[1]);

        assertEquals(400, script.statusCode(), script.body());
        assertEquals("handler", ApiClient.json(script).get("field").asText());
        assertTrue(ApiClient.json(script).get("detail").asText().contains("not an ELF file"), script.body());
        assertTrue(ApiClient.json(dynamic).get("detail").asText().contains("link it with -static"), dynamic.body());
        assertEquals(400, badName.statusCode());
        assertEquals("name", ApiClient.json(badName).get("field").asText());
        assertEquals("payloadLimitBytes", ApiClient.json(badLimit).get("field").asText());
        assertEquals("timeoutMs", ApiClient.json(badTimeout).get("field").asText());
        assertEquals(413, tooBig.statusCode(), tooBig.body());
        assertTrue(ApiClient.json(tooBig).get("detail").asText().contains("4096 bytes (the function's payload limit"), tooBig.body());
        assertEquals(200, fits.statusCode(), fits.body());
        assertEquals(404, unknown.statusCode());
        assertTrue(ApiClient.json(unknown).get("detail").asText().contains("no function named 'nobody'"), unknown.body());
        assertEquals(List.of("script", "dynamic", "odd"), List.of("script", "dynamic", "odd").stream()
            .filter(name -> service.functions().get(name).isEmpty()).toList(), "refused functions must not be deployed");
    }

    @Test
    void shouldAnswerHealthz() throws Exception
    {
        final HttpResponse<String> response = client.get("/healthz");

        assertEquals(200, response.statusCode());
        assertEquals("ok", ApiClient.json(response).get("status").asText());
    }

    @Test
    void shouldListTheCatalogByNameOnlyWithoutHostPaths() throws Exception
    {
        final HttpResponse<String> response = client.get("/v1/kernels");

        assertEquals(200, response.statusCode());
        assertEquals("flat", ApiClient.json(response).get("kernels").get(0).get("name").asText());
        assertFalse(response.body().contains(dir.toString()), response.body());
    }

    @Test
    void shouldRedirectASingleVmThatTheClusterPlacedOnAnotherNodeAndKeepOneThatWasPlacedHere() throws Exception
    {
        final String elsewhere = "http://127.0.0.1:18082/v1/vms?placed=127-0-0-1-25521";
        service.placeNextElsewhere(new dev.hatchery.orchestrator.PlacedElsewhereException("127.0.0.1:25522", elsewhere));
        final HttpResponse<String> redirected = client.post("/v1/vms", "{\"kernel\":\"flat\"}");
        assertEquals(307, redirected.statusCode(), redirected.body());
        assertEquals(elsewhere, redirected.headers().firstValue("Location").orElseThrow());
        assertEquals("127.0.0.1:25522", ApiClient.json(redirected).get("node").asText());

        service.placeNextElsewhere(new dev.hatchery.orchestrator.PlacedElsewhereException("127.0.0.1:25522", elsewhere));
        final HttpResponse<String> kept = client.post("/v1/vms?placed=127-0-0-1-25521", "{\"kernel\":\"flat\"}");
        assertEquals(202, kept.statusCode(), kept.body());
    }

    @Test
    void shouldAnswerAWaitThatWouldOutlastTheIdleTimeout202BeforeTheConnectionIsCutWithNoReply() throws Exception
    {
        // VMs that take 20 s to boot, a connection idle timeout of 6 s: the wait (15 s before it, at least 1 s) ends after 1 s.
        try (ScriptedVmService slow = new ScriptedVmService(dir.resolve("flat.elf"), 20_000))
        {
            final HttpServer server = HttpServer.start(system, slow, new HttpSettings("127.0.0.1", 0, Optional.empty(), 4096, Duration.ofSeconds(3))
                .withGuards(HttpGuards.DEFAULTS.withConnections(16, Duration.ofSeconds(6), Duration.ofSeconds(10))), 1000, 256);
            try
            {
                final ApiClient waiting = new ApiClient("http://127.0.0.1:" + server.address().getPort(), null, exchange -> { });
                final HttpResponse<String> response = waiting.post("/v1/vms", "{\"kernel\":\"flat\",\"wait\":true,\"bootTimeoutMs\":60000}");

                assertEquals(202, response.statusCode(), response.body());
                assertTrue(response.headers().firstValue("Location").orElseThrow().startsWith("/v1/vms/vm-"), response.toString());
                assertEquals(200, waiting.get(response.headers().firstValue("Location").orElseThrow()).statusCode(), "the view to poll");
            }
            finally
            {
                server.close();
            }
        }
    }

    @Test
    void shouldAnswerADeployThatWouldOutlastTheIdleTimeout202AndShowHowItWentAtItsDeployment() throws Exception
    {
        // Deploys that take 8 s (one succeeds, one fails), a connection idle timeout of 6 s: answered 202 after 1 s.
        try (ScriptedVmService slow = new ScriptedVmService(dir.resolve("flat.elf"), 20))
        {
            final HttpServer server = HttpServer.start(system, slow, new HttpSettings("127.0.0.1", 0, Optional.empty(), 4096, Duration.ofSeconds(3))
                .withGuards(HttpGuards.DEFAULTS.withConnections(16, Duration.ofSeconds(6), Duration.ofSeconds(10))), 1000, 256);
            try
            {
                final ApiClient deploying = new ApiClient("http://127.0.0.1:" + server.address().getPort(), null, exchange -> { });
                final HttpResponse<String> accepted = deploying.sendBytes("PUT", "/v1/functions/very-slow", TinyElf.staticExecutable());
                final HttpResponse<String> failing = deploying.sendBytes("PUT", "/v1/functions/broken", TinyElf.staticExecutable());

                assertEquals(202, accepted.statusCode(), accepted.body());
                assertEquals("/v1/functions/very-slow/deployment", accepted.headers().firstValue("Location").orElseThrow());
                assertEquals("in_progress", ApiClient.json(accepted).get("state").asText(), accepted.body());
                assertEquals(202, failing.statusCode(), failing.body());
                final com.fasterxml.jackson.databind.JsonNode succeeded = pollDeployment(deploying, "/v1/functions/very-slow/deployment");
                assertEquals("succeeded", succeeded.get("state").asText(), succeeded.toString());
                assertEquals("very-slow", succeeded.get("function").get("name").asText(), succeeded.toString());
                assertTrue(succeeded.get("function").get("ready").asBoolean(), succeeded.toString());
                assertTrue(succeeded.has("endedAt"), succeeded.toString());
                final com.fasterxml.jackson.databind.JsonNode failed = pollDeployment(deploying, "/v1/functions/broken/deployment");
                assertEquals("failed", failed.get("state").asText(), failed.toString());
                assertTrue(failed.get("detail").asText().contains("its template VM failed"), failed.toString());
                assertTrue(!failed.has("function"), failed.toString());
            }
            finally
            {
                server.close();
            }
        }
    }

    @Test
    void shouldShowAFinishedDeployAndNoneForAFunctionNeverDeployedOrDeleted() throws Exception
    {
        client.sendBytes("PUT", "/v1/functions/shown?timeoutMs=2000", TinyElf.staticExecutable());

        final HttpResponse<String> shown = client.get("/v1/functions/shown/deployment");
        assertEquals(200, shown.statusCode(), shown.body());
        assertEquals("succeeded", ApiClient.json(shown).get("state").asText(), shown.body());
        assertEquals(2000, ApiClient.json(shown).get("function").get("timeoutMs").asInt(), shown.body());
        assertProblem(client.get("/v1/functions/never-deployed/deployment"), 404, null);
        assertEquals(204, client.delete("/v1/functions/shown").statusCode());
        assertProblem(client.get("/v1/functions/shown/deployment"), 404, null);
        assertProblem(client.get("/v1/functions/Not_A_Name/deployment"), 400, "name");
    }

    /** Polls a deployment until it is no longer in progress (at most 30 s). */
    private static com.fasterxml.jackson.databind.JsonNode pollDeployment(final ApiClient client, final String path) throws Exception
    {
        final long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (true)
        {
            final HttpResponse<String> response = client.get(path);
            assertEquals(200, response.statusCode(), response.body());
            final com.fasterxml.jackson.databind.JsonNode status = ApiClient.json(response);
            if (!status.get("state").asText().equals("in_progress") || System.nanoTime() > deadline)
            {
                return status;
            }
            Thread.sleep(200);
        }
    }

    @Test
    void shouldShowTheClusterOrSayThatTheNodeRunsAlone() throws Exception
    {
        service.cluster(null);
        final HttpResponse<String> alone = client.get("/v1/cluster");
        assertProblem(alone, 404, null);
        assertTrue(ApiClient.json(alone).get("detail").asText().contains("--cluster"), alone.body());

        service.cluster(new dev.hatchery.orchestrator.ClusterView("127.0.0.1:25520", "127.0.0.1:25520", List.of(
            new dev.hatchery.orchestrator.ClusterView.MemberView("127.0.0.1:25520", "up", true, true, "http://127.0.0.1:8080",
                new dev.hatchery.orchestrator.FreeCapacity(250, 16L << 30, 8 << 20, 8)),
            new dev.hatchery.orchestrator.ClusterView.MemberView("127.0.0.1:25521", "up", false, false, null, null))));
        final HttpResponse<String> clustered = client.get("/v1/cluster");
        assertEquals(200, clustered.statusCode(), clustered.body());
        final JsonNode view = ApiClient.json(clustered);
        assertEquals("127.0.0.1:25520", view.get("self").asText());
        assertEquals(250, view.get("members").get(0).get("free").get("vmSlots").asInt());
        assertFalse(view.get("members").get(1).get("reachable").asBoolean());
    }

    @Test
    void shouldRunABatchStreamOneEventPerVmThenDoneAndServeTheReport() throws Exception
    {
        final HttpResponse<String> submitted = client.post("/v1/batches", "{\"kernel\":\"flat\",\"count\":5,\"concurrency\":2}");
        assertEquals(202, submitted.statusCode(), submitted.body());
        final String id = ApiClient.json(submitted).get("id").asText();
        assertEquals("/v1/batches/" + id, submitted.headers().firstValue("Location").orElseThrow());

        final List<ApiClient.Event> events = client.events("/v1/batches/" + id + "/events", null);

        assertEquals(List.of("vm", "vm", "vm", "vm", "vm", "done"), events.stream().map(ApiClient.Event::type).toList());
        assertEquals(List.of("1", "2", "3", "4", "5"), events.subList(0, 5).stream().map(ApiClient.Event::id).toList());
        assertEquals("booted", events.get(0).data().get("outcome").asText());
        assertEquals(1500, events.get(0).data().get("bootMicros").asLong());
        assertEquals(5, events.get(5).data().get("booted").asInt());
        final JsonNode batch = ApiClient.json(client.get("/v1/batches/" + id));
        assertEquals("done", batch.get("state").asText());
        assertEquals(5, batch.get("report").get("count").asInt());
        assertEquals(5, batch.get("report").get("booted").asInt());
        assertEquals(1500.0, batch.get("report").get("latencyMicros").get("p50").asDouble(), 10.0);
    }

    @Test
    void shouldResumeAnEventStreamAfterLastEventId() throws Exception
    {
        final String id = ApiClient.json(client.post("/v1/batches", "{\"kernel\":\"flat\",\"count\":4}")).get("id").asText();

        final List<ApiClient.Event> events = client.events("/v1/batches/" + id + "/events", "2");

        assertEquals(List.of("3", "4"), events.stream().filter(e -> e.type().equals("vm")).map(ApiClient.Event::id).toList());
        assertEquals("done", events.get(events.size() - 1).type());
    }

    @Test
    void shouldCancelABatch() throws Exception
    {
        final String id = ApiClient.json(client.post("/v1/batches", "{\"kernel\":\"flat\",\"count\":3}")).get("id").asText();

        final HttpResponse<String> response = client.delete("/v1/batches/" + id);

        assertEquals(202, response.statusCode());
        assertEquals(id, ApiClient.json(response).get("id").asText());
        assertTrue(service.cancelled().contains(id));
    }

    @Test
    void shouldSpawnOneVmAndWaitForItsBoot() throws Exception
    {
        final HttpResponse<String> response = client.post("/v1/vms", "{\"kernel\":\"flat\",\"wait\":true,\"memMib\":64}");

        assertEquals(201, response.statusCode(), response.body());
        final JsonNode vm = ApiClient.json(response);
        assertEquals("ended", vm.get("state").asText());
        assertEquals("booted", vm.get("outcome").asText());
        assertEquals(64, vm.get("memMib").asInt());
        assertEquals(1500, vm.get("bootMicros").asLong());
        assertEquals("/v1/vms/" + vm.get("id").asText(), response.headers().firstValue("Location").orElseThrow());
    }

    @Test
    void shouldSpawnOneVmWithoutWaitingThenReadItsStateAndConsoleAndStopIt() throws Exception
    {
        final HttpResponse<String> accepted = client.post("/v1/vms", "{\"kernel\":\"flat\"}");
        assertEquals(202, accepted.statusCode(), accepted.body());
        final String id = ApiClient.json(accepted).get("id").asText();
        assertEquals("starting", ApiClient.json(accepted).get("state").asText());

        service.vm(id).orElseThrow().ended().toCompletableFuture().join();
        final HttpResponse<String> state = client.get("/v1/vms/" + id);
        final HttpResponse<String> console = client.get("/v1/vms/" + id + "/console");
        final HttpResponse<String> stop = client.delete("/v1/vms/" + id);

        assertEquals("booted", ApiClient.json(state).get("outcome").asText());
        assertEquals("hello from " + id + "\n", console.body());
        assertTrue(console.headers().firstValue("Content-Type").orElseThrow().startsWith("text/plain"));
        assertEquals(202, stop.statusCode());
        assertTrue(service.stopped().contains(id));
    }

    @ParameterizedTest(name = "{0} {1} -> 404")
    @CsvSource({"GET,/v1/batches/b999", "DELETE,/v1/batches/b999", "GET,/v1/batches/b999/events", "GET,/v1/vms/vm-999",
        "DELETE,/v1/vms/vm-999", "GET,/v1/vms/vm-999/console", "GET,/v1/vms/..%2F..%2Fetc", "GET,/v1/nothing-here", "GET,/"})
    void shouldAnswerUnknownResourcesWithAProblem(final String method, final String path) throws Exception
    {
        final HttpResponse<String> response = client.send(method, path, null, null);

        assertProblem(response, 404, null);
    }

    @Test
    void shouldAnswerAWrongMethodWith405AndAllow() throws Exception
    {
        final HttpResponse<String> response = client.send("PUT", "/v1/batches", "application/json", "{}");

        assertProblem(response, 405, null);
        assertEquals("POST", response.headers().firstValue("Allow").orElseThrow());
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "malformed JSON               | {\"kernel\":\"flat\",              | ",
        "not an object                | [1,2,3]                           | ",
        "trailing garbage             | {\"kernel\":\"flat\",\"count\":1} x | ",
        "count as a string            | {\"kernel\":\"flat\",\"count\":\"10\"}   | count",
        "count as a fraction          | {\"kernel\":\"flat\",\"count\":1.5}  | count",
        "count missing                | {\"kernel\":\"flat\"}               | count",
        "zero count                   | {\"kernel\":\"flat\",\"count\":0}    | count",
        "negative count               | {\"kernel\":\"flat\",\"count\":-5}   | count",
        "huge count                   | {\"kernel\":\"flat\",\"count\":1001} | count",
        "count beyond int             | {\"kernel\":\"flat\",\"count\":99999999999999999999} | count",
        "zero concurrency             | {\"kernel\":\"flat\",\"count\":1,\"concurrency\":0} | concurrency",
        "memory too small             | {\"kernel\":\"flat\",\"count\":1,\"memMib\":1} | memMib",
        "memory too large             | {\"kernel\":\"flat\",\"count\":1,\"memMib\":100000} | memMib",
        "boot timeout zero            | {\"kernel\":\"flat\",\"count\":1,\"bootTimeoutMs\":0} | bootTimeoutMs",
        "memory mode unknown          | {\"kernel\":\"flat\",\"count\":1,\"memory\":\"shared\"} | memory",
        "network as a string          | {\"kernel\":\"flat\",\"count\":1,\"network\":\"yes\"} | network",
        "unknown field                | {\"kernel\":\"flat\",\"count\":1,\"initrd\":\"/etc/shadow\"} | initrd",
        "kernel missing               | {\"count\":1}                      | kernel",
        "kernel as a number           | {\"kernel\":7,\"count\":1}          | kernel",
        "unknown kernel               | {\"kernel\":\"windows\",\"count\":1} | kernel",
        "absolute path kernel         | {\"kernel\":\"/boot/vmlinuz\",\"count\":1} | kernel",
        "relative path kernel         | {\"kernel\":\"../../etc/passwd\",\"count\":1} | kernel",
        "dot-dot kernel               | {\"kernel\":\"..\",\"count\":1}     | kernel",
        "kernel with a control char   | {\"kernel\":\"fl\\u0000at\",\"count\":1} | kernel",
        "duplicate field              | {\"kernel\":\"flat\",\"count\":1,\"count\":2} | "})
    void shouldRefuseABadBatchWithAProblemNamingTheField(final String name, final String body, final String field) throws Exception
    {
        final HttpResponse<String> response = client.post("/v1/batches", body.trim());

        assertProblem(response, 400, field);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "path-like kernel     | {\"kernel\":\"/usr/bin/flat\"}          | kernel",
        "wait as a number     | {\"kernel\":\"flat\",\"wait\":1}       | wait",
        "console as a string  | {\"kernel\":\"flat\",\"console\":\"on\"} | console",
        "unknown field        | {\"kernel\":\"flat\",\"count\":3}      | count",
        "empty object         | {}                                    | kernel"})
    void shouldRefuseABadVmWithAProblemNamingTheField(final String name, final String body, final String field) throws Exception
    {
        assertProblem(client.post("/v1/vms", body.trim()), 400, field);
    }

    @Test
    void shouldRefuseAnEmptyBody() throws Exception
    {
        assertProblem(client.send("POST", "/v1/batches", "application/json", ""), 400, null);
    }

    @Test
    void shouldRefuseABodyThatIsNotJson() throws Exception
    {
        assertProblem(client.send("POST", "/v1/batches", "text/plain", "kernel=flat"), 415, null);
    }

    @Test
    void shouldRefuseAnOversizedBody() throws Exception
    {
        final String padding = " ".repeat(8192);
        final HttpResponse<String> response = client.post("/v1/batches", "{\"kernel\":\"flat\",\"count\":1}" + padding);

        assertProblem(response, 413, null);
    }

    @Test
    void shouldAnswerBusyWith503AndRetryAfter() throws Exception
    {
        service.refuseNext(Refusal.busy("service at capacity: wanted vms=8"));

        final HttpResponse<String> response = client.post("/v1/batches", "{\"kernel\":\"flat\",\"count\":8}");

        assertProblem(response, 503, null);
        assertEquals("3", response.headers().firstValue("Retry-After").orElseThrow());
        assertEquals("service at capacity: wanted vms=8", ApiClient.json(response).get("detail").asText());
    }

    @Test
    void shouldAnswerTooManyBatchesWith429AndRetryAfter() throws Exception
    {
        service.refuseNext(Refusal.tooMany("too many batches running"));

        final HttpResponse<String> response = client.post("/v1/batches", "{\"kernel\":\"flat\",\"count\":1}");

        assertProblem(response, 429, null);
        assertEquals("3", response.headers().firstValue("Retry-After").orElseThrow());
    }

    @Test
    void shouldAnswerAnUnexpectedServiceErrorWith500() throws Exception
    {
        service.failNext(new IllegalStateException("scripted bug"));

        final HttpResponse<String> response = client.post("/v1/batches", "{\"kernel\":\"flat\",\"count\":1}");

        assertProblem(response, 500, null);
        assertEquals("IllegalStateException: scripted bug", ApiClient.json(response).get("detail").asText());
    }

    @Test
    void shouldAnswerAServiceThatDoesNotAnswerInTimeWith503AndRetryAfter() throws Exception
    {
        final ActorSystem<Void> impatient = ActorSystem.create(Behaviors.empty(), "api-routes-test-timeout",
            ConfigFactory.parseString("akka.http.server.request-timeout = 1s").withFallback(ConfigFactory.load()));
        try (HttpServer server = HttpServer.start(impatient, service, new HttpSettings("127.0.0.1", 0, Optional.empty(), 4096,
            Duration.ofSeconds(3)), 1000, 256))
        {
            service.stallNext();

            final HttpResponse<String> response = new ApiClient("http://127.0.0.1:" + server.address().getPort(), null, SEEN::add)
                .post("/v1/batches", "{\"kernel\":\"flat\",\"count\":1}");

            assertProblem(response, 503, null);
            assertEquals("3", response.headers().firstValue("Retry-After").orElseThrow());
        }
        finally
        {
            impatient.terminate();
        }
    }

    @Test
    void shouldRefuseALastEventIdThatIsNotANumber() throws Exception
    {
        final String id = ApiClient.json(client.post("/v1/batches", "{\"kernel\":\"flat\",\"count\":1}")).get("id").asText();

        final HttpResponse<String> response = client.send("GET", "/v1/batches/" + id + "/events", null, null,
            Map.of("Last-Event-ID", "three"));

        assertProblem(response, 400, "Last-Event-ID");
    }

    /** Akka's parser refuses it before any route runs; it still gets a problem document, without an instance. */
    @Test
    void shouldAnswerARequestItCannotParseWithAProblem() throws Exception
    {
        try (Socket socket = new Socket("127.0.0.1", open.address().getPort()))
        {
            socket.setSoTimeout(10_000);
            socket.getOutputStream().write("GET /healthz HTTP/1.1\r\nHost: localhost\r\nthis is not a header\r\n\r\n"
                .getBytes(StandardCharsets.US_ASCII));

            final String response = new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);

            assertTrue(response.startsWith("HTTP/1.1 400 "), response);
            assertTrue(response.contains("Content-Type: application/problem+json"), response);
            final JsonNode problem = Json.MAPPER.readTree(response.substring(response.indexOf("\r\n\r\n") + 4));
            assertEquals("urn:hatchery:problem:malformed-request", problem.get("type").asText(), response);
            assertEquals(400, problem.get("status").asInt(), response);
            assertFalse(problem.has("instance"), response);
            SEEN.add(new ApiClient.Exchange("GET", "/healthz", 400));
        }
    }

    @Test
    void shouldPassAServiceRefusalOfAFieldOnAs400() throws Exception
    {
        service.refuseNext(Refusal.invalid("memMib", "memMib=3000 is above this service's limit"));

        assertProblem(client.post("/v1/vms", "{\"kernel\":\"flat\",\"memMib\":3000}"), 400, "memMib");
    }

    @Test
    void shouldRequireTheBearerTokenWhenOneIsSetExceptForHealthz() throws Exception
    {
        final String base = "http://127.0.0.1:" + guarded.address().getPort();
        final ApiClient anonymous = new ApiClient(base, null, SEEN::add);
        final ApiClient wrong = new ApiClient(base, TOKEN.substring(1) + "x", SEEN::add);
        final ApiClient right = new ApiClient(base, TOKEN, SEEN::add);

        final HttpResponse<String> missing = anonymous.get("/v1/kernels");
        final HttpResponse<String> wrongToken = wrong.get("/v1/kernels");

        assertProblem(missing, 401, null);
        assertEquals("Bearer realm=\"hatchery\"", missing.headers().firstValue("WWW-Authenticate").orElseThrow());
        assertProblem(wrongToken, 401, null);
        assertProblem(anonymous.post("/v1/batches", "{\"kernel\":\"flat\",\"count\":1}"), 401, null);
        assertProblem(anonymous.get("/metrics"), 401, null);
        assertEquals(200, anonymous.get("/healthz").statusCode());
        assertEquals(200, right.get("/v1/kernels").statusCode());
    }

    @Test
    void shouldServeMetricsInPrometheusTextFormat() throws Exception
    {
        final HttpResponse<String> response = client.get("/metrics");

        assertEquals(200, response.statusCode());
        assertTrue(response.headers().firstValue("Content-Type").orElseThrow().startsWith("text/plain"));
        for (final String metric : List.of("# TYPE hatchery_vms_running gauge", "# TYPE hatchery_vms_spawned_total counter",
            "hatchery_vm_failures_total{reason=\"timeout\"}", "# TYPE hatchery_boot_latency_seconds histogram",
            "hatchery_boot_latency_seconds_bucket{le=\"+Inf\"}"))
        {
            assertTrue(response.body().contains(metric), metric + " in\n" + response.body());
        }
    }

    /** The OpenAPI document lists exactly the routes served, and each of them answers (not 404/405 from routing). */
    @Test
    void shouldDocumentExactlyTheRoutesServed() throws Exception
    {
        final JsonNode openApi = ApiClient.json(client.get("/v1/openapi.json"));
        final TreeSet<String> documented = new TreeSet<>();
        for (final Iterator<Map.Entry<String, JsonNode>> paths = openApi.get("paths").fields(); paths.hasNext(); )
        {
            final Map.Entry<String, JsonNode> path = paths.next();
            for (final Iterator<String> methods = path.getValue().fieldNames(); methods.hasNext(); )
            {
                final String method = methods.next();
                if (!method.equals("parameters"))
                {
                    documented.add(method.toUpperCase(java.util.Locale.ROOT) + " " + path.getKey());
                }
            }
        }
        assertEquals(new TreeSet<>(ApiRoutes.ENDPOINTS), documented);

        service.cluster(new dev.hatchery.orchestrator.ClusterView("127.0.0.1:25520", null, List.of()));
        final String batch = ApiClient.json(client.post("/v1/batches", "{\"kernel\":\"flat\",\"count\":1}")).get("id").asText();
        final String vm = ApiClient.json(client.post("/v1/vms", "{\"kernel\":\"flat\",\"wait\":true}")).get("id").asText();
        for (final String endpoint : ApiRoutes.ENDPOINTS)
        {
            final String method = endpoint.substring(0, endpoint.indexOf(' '));
            final String template = endpoint.substring(endpoint.indexOf(' ') + 1);
            final String path = template.replace("{id}", template.startsWith("/v1/batches") ? batch : vm).replace("{name}", "documented");
            final String body = method.equals("POST") ? "{\"kernel\":\"flat\",\"count\":1}".replace(",\"count\":1",
                path.equals("/v1/batches") ? ",\"count\":1" : "") : null;
            final HttpResponse<String> response = path.endsWith("/events") ? null
                : method.equals("PUT") ? client.sendBytes(method, path, TinyElf.staticExecutable())
                : path.endsWith("/invocations") ? client.sendBytes(method, path, "hello".getBytes(StandardCharsets.UTF_8))
                : client.send(method, path, body == null ? null : "application/json", body);
            if (response != null)
            {
                assertTrue(response.statusCode() < 300, endpoint + " answered " + response.statusCode() + ": " + response.body());
            }
            else
            {
                assertNotEquals(0, client.events(path, null).size(), endpoint);
            }
        }
    }

    /** Statuses the scenarios saw, by operation, must each be in the OpenAPI document (paths no operation serves are skipped). */
    private static void assertEveryStatusSeenIsDocumented() throws IOException
    {
        final JsonNode paths = Json.MAPPER.readTree(ApiRoutes.class.getResourceAsStream("openapi.json")).get("paths");
        final TreeSet<String> undocumented = new TreeSet<>();
        for (final ApiClient.Exchange exchange : SEEN)
        {
            final String path = exchange.path().replaceFirst("\\?.*", "");
            for (final String endpoint : ApiRoutes.ENDPOINTS)
            {
                final String method = endpoint.substring(0, endpoint.indexOf(' '));
                final String template = endpoint.substring(endpoint.indexOf(' ') + 1);
                if (method.equals(exchange.method()) && path.matches(Pattern.quote(template).replace("{id}", "\\E[^/]+\\Q")))
                {
                    final JsonNode responses = paths.get(template).get(method.toLowerCase(java.util.Locale.ROOT)).get("responses");
                    if (!responses.has(Integer.toString(exchange.status())))
                    {
                        undocumented.add(endpoint + " -> " + exchange.status());
                    }
                }
            }
        }
        assertFalse(SEEN.isEmpty());
        assertEquals(new TreeSet<>(), undocumented, "statuses answered but not in openapi.json");
    }

    private static void assertProblem(final HttpResponse<String> response, final int status, final String field) throws IOException
    {
        assertEquals(status, response.statusCode(), response.body());
        assertEquals("application/problem+json", response.headers().firstValue("Content-Type").orElseThrow());
        final JsonNode problem = ApiClient.json(response);
        assertEquals(status, problem.get("status").asInt());
        assertTrue(problem.get("type").asText().startsWith("urn:hatchery:problem:"), problem.toString());
        assertFalse(problem.get("detail").asText().isBlank(), problem.toString());
        assertTrue(problem.get("instance").asText().startsWith("/"), problem.toString());
        if (field != null && !field.isBlank())
        {
            assertEquals(field, problem.path("field").asText(null), problem.toString());
        }
    }
}
