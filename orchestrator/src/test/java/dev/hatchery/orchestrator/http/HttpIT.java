package dev.hatchery.orchestrator.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.LongStream;

import com.typesafe.config.ConfigFactory;

import dev.hatchery.orchestrator.Hatchery;
import dev.hatchery.orchestrator.Limits;
import dev.hatchery.orchestrator.ProcessSnapshot;

import com.fasterxml.jackson.databind.JsonNode;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * End to end on real KVM (natively or in the lab): the HTTP server over the real service, driven by a
 * plain HTTP client as a user would, with a bearer token.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class HttpIT
{
    private static final String TOKEN = "it-" + Long.toHexString(System.nanoTime()) + "-0123456789abcdef";

    private static dev.hatchery.kvm.StallWatch stallWatch;
    private static Hatchery hatchery;
    private static HttpServer server;
    private static ApiClient client;

    @BeforeAll
    static void start()
    {
        stallWatch = dev.hatchery.kvm.StallWatch.start("HttpIT", Duration.ofMinutes(10));
        hatchery = Hatchery.start();
        final Limits limits = Limits.fromConfig(ConfigFactory.load());
        server = HttpServer.start(hatchery.actorSystem(), hatchery,
            new HttpSettings("127.0.0.1", 0, Optional.of(TOKEN), 65536, Duration.ofSeconds(2)), limits.maxBatchCount(),
            limits.maxBatchConcurrency());
        client = new ApiClient("http://127.0.0.1:" + server.address().getPort(), TOKEN);
    }

    @AfterAll
    static void stop()
    {
        stallWatch.close();
        if (server != null)
        {
            server.close();
        }
        if (hatchery != null)
        {
            hatchery.close();
        }
    }

    @Test
    void shouldRunABatchOf100FlatVmsFollowItsEventsToTheEndAndReadTheReport() throws Exception
    {
        warmUp();
        final ProcessSnapshot before = ProcessSnapshot.settled();

        final HttpResponse<String> submitted = client.post("/v1/batches", "{\"kernel\":\"flat\",\"count\":100,\"concurrency\":8}");
        assertEquals(202, submitted.statusCode(), submitted.body());
        final String id = ApiClient.json(submitted).get("id").asText();
        final List<ApiClient.Event> events = client.events("/v1/batches/" + id + "/events", null);
        final JsonNode batch = ApiClient.json(client.get("/v1/batches/" + id));
        final ProcessSnapshot after = ProcessSnapshot.settledAt(before);

        final List<ApiClient.Event> vms = events.stream().filter(e -> e.type().equals("vm")).toList();
        assertEquals(100, vms.size());
        assertEquals(LongStream.rangeClosed(1, 100).boxed().toList(), vms.stream().map(e -> e.data().get("sequence").asLong()).toList());
        final Set<String> vmIds = new HashSet<>();
        vms.forEach(e -> vmIds.add(e.data().get("vm").asText()));
        assertEquals(100, vmIds.size(), "each VM reported once");
        assertTrue(vms.stream().allMatch(e -> e.data().get("outcome").asText().equals("booted") && e.data().get("bootMicros").asLong() > 0),
            () -> "not all booted: " + vms);
        assertEquals("done", events.get(events.size() - 1).type());
        assertEquals(100, events.get(events.size() - 1).data().get("booted").asInt());

        assertEquals("done", batch.get("state").asText());
        final JsonNode report = batch.get("report");
        assertEquals(100, report.get("count").asInt());
        assertEquals(100, report.get("booted").asInt());
        assertTrue(report.get("latencyMicros").get("p99").asDouble() >= report.get("latencyMicros").get("p50").asDouble());
        assertTrue(report.get("throughputPerSecond").asDouble() > 0);
        assertEquals(before.fds(), after.fds(), "open file descriptors after the batch");
        assertEquals(before.guestMappings(), after.guestMappings(), "guest mappings after the batch");
        // vCPU threads are parked for the next VMs, not ended, and none is started per VM: the pool holds at most the VMs
        // that were in flight at once plus the spares kept parked.
        final int spares = com.typesafe.config.ConfigFactory.load().getInt("hatchery.vm.spare-vcpu-threads");
        assertTrue(after.vcpuThreads() <= 8 + spares, "vCPU threads after the batch: " + after.vcpuThreads() + " (before: "
            + before.vcpuThreads() + ", in flight: 8, spares: " + spares + ")");
        System.out.printf("http.batch lab=%s count=100 concurrency=8 wall_s=%.2f boots_per_s=%.1f p50_us=%.0f p99_us=%.0f%n",
            report.get("lab").asBoolean(), report.get("wallSeconds").asDouble(), report.get("throughputPerSecond").asDouble(),
            report.get("latencyMicros").get("p50").asDouble(), report.get("latencyMicros").get("p99").asDouble());

        final String metrics = client.get("/metrics").body();
        assertTrue(metrics.contains("hatchery_vms_running 0"), metrics);
        assertTrue(metrics.contains("hatchery_vms_ended_total{outcome=\"booted\"}"), metrics);
        // Every bound of the service is visible beside what it bounds (bounded state, host-aware admission).
        for (final String line : List.of("hatchery_kernel_templates_max 16", "hatchery_kernel_template_bytes_max 1073741824",
            "hatchery_retained_finished_max{kind=\"vm\"} 1000", "hatchery_retained_finished_bytes_max{kind=\"batch\"} 134217728",
            "hatchery_http_connections_max 256", "hatchery_limit{name=\"max-vms-in-flight\"} 256"))
        {
            assertTrue(metrics.contains("\n" + line + "\n"), line + " in\n" + metrics);
        }
        for (final String name : List.of("hatchery_kernel_templates", "hatchery_kernel_templates_held", "hatchery_memory_budget_bytes",
            "hatchery_memory_admitted_bytes", "hatchery_retained_items{kind=\"batch\"}", "hatchery_retained_bytes{kind=\"vm\"}",
            "hatchery_http_connections_open"))
        {
            assertTrue(metrics.contains("\n" + name + " "), name + " in\n" + metrics);
        }
    }

    @Test
    void shouldRunABatchOfLinuxClonesAndASingleCloneOverHttp() throws Exception
    {
        final HttpResponse<String> submitted = client.post("/v1/batches",
            "{\"kernel\":\"linux\",\"count\":20,\"concurrency\":4,\"spawn\":\"clone\",\"bootTimeoutMs\":300000}");
        assertEquals(202, submitted.statusCode(), submitted.body());
        final String id = ApiClient.json(submitted).get("id").asText();
        client.events("/v1/batches/" + id + "/events", null);
        final JsonNode report = ApiClient.json(client.get("/v1/batches/" + id)).get("report");

        assertEquals(20, report.get("booted").asInt(), report.toString());
        assertEquals("clone", report.get("spawn").asText());
        assertEquals(20, report.get("spawnPaths").get("clone").asInt(), report.toString());
        assertTrue(report.get("cloneTemplate").get("capturedBytes").asLong() > 0, report.toString());
        assertTrue(report.get("cloneTemplate").get("prepareMillis").asDouble() > 0, report.toString());
        System.out.printf("http.clone_batch lab=%s count=20 p50_us=%.0f p99_us=%.0f template_ms=%.0f captured_bytes=%d%n",
            report.get("lab").asBoolean(), report.get("latencyMicros").get("p50").asDouble(), report.get("latencyMicros").get("p99").asDouble(),
            report.get("cloneTemplate").get("prepareMillis").asDouble(), report.get("cloneTemplate").get("capturedBytes").asLong());

        final String vmId = spawnAndAwaitBoot("{\"kernel\":\"linux\",\"wait\":true,\"spawn\":\"clone\",\"bootTimeoutMs\":300000}").get("id").asText();
        hatchery.vm(vmId).orElseThrow().ended().toCompletableFuture().get(120, java.util.concurrent.TimeUnit.SECONDS);
        final JsonNode ended = ApiClient.json(client.get("/v1/vms/" + vmId));
        assertEquals("booted", ended.get("outcome").asText(), ended.toString());
        final String console = client.get("/v1/vms/" + vmId + "/console").body();
        assertTrue(console.contains("hatchery-init: clone="), console);
        assertTrue(!console.contains("Linux version"), "a clone's console starts at its resume: " + console);

        // The templates are the host's, not VMs: visible apart, and bounded.
        final String metrics = client.get("/metrics").body();
        assertTrue(metrics.contains("\nhatchery_clone_templates_max 4\n"), metrics);
        final java.util.regex.Matcher kept = java.util.regex.Pattern.compile("\nhatchery_clone_templates (\\d+)\n").matcher(metrics);
        assertTrue(kept.find() && Integer.parseInt(kept.group(1)) >= 1, metrics);
        assertTrue(metrics.contains("\nhatchery_clone_template_bytes "), metrics);

    }

    /**
     * POST /v1/vms with wait: 201 once it booted, or, when the boot outlasts what a connection may stay silent (the
     * service's idle timeout; a Linux boot in a busy lab can), 202 and its Location to poll: then polled here.
     */
    private JsonNode spawnAndAwaitBoot(final String body) throws Exception
    {
        final HttpResponse<String> response = client.post("/v1/vms", body);
        assertTrue(response.statusCode() == 201 || response.statusCode() == 202, response.statusCode() + " " + response.body());
        final String id = ApiClient.json(response).get("id").asText();
        if (response.statusCode() == 202)
        {
            System.out.println("http.wait_answered_202 vm=" + id + " (boot outlasted the wait; polling)");
            hatchery.vm(id).orElseThrow().bootedOrEnded().toCompletableFuture().get(5, java.util.concurrent.TimeUnit.MINUTES);
            final HttpResponse<String> polled = client.get(response.headers().firstValue("Location").orElseThrow());
            assertEquals(200, polled.statusCode(), polled.body());
            return ApiClient.json(polled);
        }
        return ApiClient.json(response);
    }

    @Test
    void shouldSpawnALinuxVmWaitForItsBootAndReadItsConsole() throws Exception
    {
        final JsonNode vm = spawnAndAwaitBoot("{\"kernel\":\"linux\",\"wait\":true,\"console\":true,\"bootTimeoutMs\":300000}");
        final String id = vm.get("id").asText();
        assertTrue(vm.get("bootMicros").asLong() > 0, vm.toString());
        assertTrue(List.of("booted", "ended").contains(vm.get("state").asText()), vm.toString());
        assertTrue(vm.get("timelineMicros").has("bootComplete"), vm.toString());
        final String console = client.get("/v1/vms/" + id + "/console").body();
        assertTrue(console.contains("Linux version"), console);

        assertEquals(202, client.delete("/v1/vms/" + id).statusCode());
        hatchery.vm(id).orElseThrow().ended().toCompletableFuture().get(120, java.util.concurrent.TimeUnit.SECONDS);
        final JsonNode ended = ApiClient.json(client.get("/v1/vms/" + id));
        assertEquals("ended", ended.get("state").asText());
        assertEquals("booted", ended.get("outcome").asText(), ended.toString());
    }

    @Test
    @Order(Integer.MAX_VALUE) // last: the function's template VM is destroyed after its delete, in the background (in the
    // nested lab that takes seconds), which must not overlap another test's before/after snapshot of the process
    void shouldDeployAFunctionAndInvokeItOverHttp() throws Exception
    {
        final String examples = System.getenv("HATCHERY_EXAMPLE_FUNCTIONS");
        assertNotNull(examples, "HATCHERY_EXAMPLE_FUNCTIONS is not set: run the tests through ./hatchery test");
        final byte[] echo = java.nio.file.Files.readAllBytes(java.nio.file.Path.of(examples, "echo"));

        final HttpResponse<String> deployed = client.sendBytes("PUT", "/v1/functions/echo?timeoutMs=60000", echo);
        // A template boot in a busy lab can outlast the connection's idle timeout: then 202, and the deploy is polled.
        final com.fasterxml.jackson.databind.JsonNode function = deployed.statusCode() == 202 ? deployedAfterPolling("echo")
            : ApiClient.json(deployed);
        final HttpResponse<String> invoked = client.sendBytes("POST", "/v1/functions/echo/invocations",
            "hello over http".getBytes(java.nio.charset.StandardCharsets.UTF_8));
        final HttpResponse<String> listed = client.get("/v1/functions");

        // 200 when an earlier run left an echo in the shared functions folder (deployed functions survive restarts).
        assertTrue(java.util.Set.of(200, 201, 202).contains(deployed.statusCode()), deployed.statusCode() + " " + deployed.body());
        assertTrue(function.get("ready").asBoolean(), function.toString());
        assertEquals(200, invoked.statusCode(), invoked.body());
        assertEquals("hello over http", invoked.body());
        assertTrue(invoked.headers().firstValue("Server-Timing").orElseThrow().contains("clone;dur="), invoked.headers().toString());
        assertTrue(listed.body().contains("\"name\":\"echo\""), listed.body());
        assertTrue(client.get("/metrics").body().contains("hatchery_function_invocations_ended_total{status=\"succeeded\"} 1"));
        assertEquals(204, client.delete("/v1/functions/echo").statusCode());
    }

    /** Polls a function's deployment until it ended; the function once it succeeded. */
    private com.fasterxml.jackson.databind.JsonNode deployedAfterPolling(final String name) throws Exception
    {
        final long deadline = System.nanoTime() + java.time.Duration.ofMinutes(5).toNanos();
        while (System.nanoTime() < deadline)
        {
            final com.fasterxml.jackson.databind.JsonNode status = ApiClient.json(client.get("/v1/functions/" + name + "/deployment"));
            if (!status.get("state").asText().equals("in_progress"))
            {
                assertEquals("succeeded", status.get("state").asText(), status.toString());
                return status.get("function");
            }
            Thread.sleep(500);
        }
        throw new AssertionError("the deploy of " + name + " did not end within 5 minutes");
    }

    @Test
    void shouldGiveANetworkedVmItsAddressFromTheTapPool() throws Exception
    {
        final JsonNode vm = spawnAndAwaitBoot("{\"kernel\":\"linux\",\"network\":true,\"wait\":true,\"bootTimeoutMs\":300000}");
        final JsonNode address = vm.get("address");
        assertTrue(address.get("tap").asText().startsWith("hatch"), address.toString());
        assertTrue(address.get("guest").asText().matches("172\\.30\\.\\d+\\.\\d+"), address.toString());
        assertEquals(30, address.get("prefixLength").asInt());
        final String id = vm.get("id").asText();
        assertEquals(202, client.delete("/v1/vms/" + id).statusCode());
        hatchery.vm(id).orElseThrow().ended().toCompletableFuture().get(120, java.util.concurrent.TimeUnit.SECONDS);
        assertEquals("booted", ApiClient.json(client.get("/v1/vms/" + id)).get("outcome").asText());
    }

    @Test
    void shouldCancelABatchOverHttpAndAccountForEveryVm() throws Exception
    {
        final String id = ApiClient.json(client.post("/v1/batches", "{\"kernel\":\"flat\",\"count\":300,\"concurrency\":2}"))
            .get("id").asText();

        assertEquals(202, client.delete("/v1/batches/" + id).statusCode());
        final List<ApiClient.Event> events = client.events("/v1/batches/" + id + "/events", null);

        final JsonNode done = events.get(events.size() - 1).data();
        assertEquals(300, events.size() - 1);
        assertEquals(300, done.get("booted").asInt() + done.get("failed").asInt() + done.get("timedOut").asInt()
            + done.get("cancelled").asInt());
        assertTrue(done.get("cancelled").asInt() > 0, done.toString());
        // Its capacity came back: another batch is taken at once.
        assertEquals(202, client.post("/v1/batches", "{\"kernel\":\"flat\",\"count\":1}").statusCode());
    }

    @Test
    void shouldRefuseAKernelPathAndAnUnknownKernelBeforeTouchingKvm() throws Exception
    {
        final HttpResponse<String> path = client.post("/v1/vms", "{\"kernel\":\"/boot/vmlinuz\"}");
        final HttpResponse<String> unknown = client.post("/v1/batches", "{\"kernel\":\"nope\",\"count\":1}");

        assertEquals(400, path.statusCode());
        assertEquals("kernel", ApiClient.json(path).get("field").asText());
        assertEquals(400, unknown.statusCode());
        assertEquals(401, new ApiClient("http://127.0.0.1:" + server.address().getPort(), null).get("/v1/kernels").statusCode());
    }

    /** Thread pools and the HTTP stack grow lazily: one small batch first, so the baseline is the steady state. */
    private static void warmUp() throws Exception
    {
        final String id = ApiClient.json(client.post("/v1/batches", "{\"kernel\":\"flat\",\"count\":16,\"concurrency\":8}")).get("id").asText();
        client.events("/v1/batches/" + id + "/events", null);
    }
}
