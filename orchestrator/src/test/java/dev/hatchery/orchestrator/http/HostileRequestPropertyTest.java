package dev.hatchery.orchestrator.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import akka.actor.typed.ActorSystem;
import akka.actor.typed.javadsl.Behaviors;

import dev.hatchery.orchestrator.ScriptedVmService;

import com.fasterxml.jackson.databind.JsonNode;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;
import net.jqwik.api.statistics.Statistics;

/**
 * Generated malformed and hostile HTTP requests (jqwik, 1000 tries) against the real server and routes, a scripted
 * service behind them: every one is answered with a 4xx RFC 7807 problem document whose status matches, and the
 * server stays healthy (it answers /healthz after each). Requests are written on raw sockets, byte for byte, because
 * HTTP clients refuse to send most of them.
 */
class HostileRequestPropertyTest
{
    private static final Pattern STATUS = Pattern.compile("^HTTP/1\\.1 (\\d{3}) ");
    private static final Pattern LENGTH = Pattern.compile("(?im)^content-length: (\\d+)$");
    private static final List<String> PATHS = List.of("/v1/batches", "/v1/vms", "/v1/vms/vm-1", "/v1/batches/b1", "/v1/kernels", "/metrics",
        "/healthz", "/v1/vms/vm-1/console", "/v1/batches/b1/events");
    private static final String BROKEN_CHUNKS = "broken chunks";
    private static final String GARBAGE = "garbage";
    /** Head and body timeouts, short so that garbage that never forms a request line (408), and bodies that never arrive in full (408), end quickly (each request is written at once). */
    private static final long HEAD_TIMEOUT_MS = 500;
    private static final String VALID_BATCH = "{\"kernel\":\"flat\",\"count\":1}";

    private static ActorSystem<Void> system;
    private static ScriptedVmService service;
    private static HttpServer server;
    private static int port;

    @BeforeContainer
    static void start() throws IOException
    {
        final Path dir = Files.createTempDirectory("hostile-requests");
        system = ActorSystem.create(Behaviors.empty(), "hostile-request-test");
        service = new ScriptedVmService(Files.write(dir.resolve("flat.elf"), new byte[]{1}), 20);
        server = HttpServer.start(system, service, new HttpSettings("127.0.0.1", 0, Optional.empty(), 4096, Duration.ofSeconds(3),
            HttpGuards.DEFAULTS.withConnections(64, Duration.ofSeconds(5), Duration.ofMillis(HEAD_TIMEOUT_MS))
                .withRequestBodyTimeout(Duration.ofMillis(HEAD_TIMEOUT_MS))), 1000, 256);
        port = server.address().getPort();
    }

    @AfterContainer
    static void stop()
    {
        server.close();
        service.close();
        system.terminate();
    }

    /** A request and what kind of hostility it carries (for the statistics jqwik prints). */
    record Hostile(String kind, byte[] bytes)
    {
        @Override
        public String toString()
        {
            return kind + ": " + new String(bytes, 0, Math.min(bytes.length, 300), StandardCharsets.ISO_8859_1).replace("\r\n", "\\r\\n");
        }
    }

    @Property(tries = 1000)
    void shouldAnswerEveryHostileRequestWithA4xxProblemAndStayHealthy(@ForAll("hostileRequests") final Hostile request) throws IOException
    {
        final String response = exchange(request.bytes());
        Statistics.collect(request.kind(), response.isEmpty() ? "closed" : "answered");
        // Every one is answered: bytes that never form a request line get 408 at the request-head timeout (written below
        // Akka's HTTP layer), a chunked body whose framing breaks gets 400. Never a 5xx, never a close without an answer.
        final Matcher status = STATUS.matcher(response);
        assertTrue(status.find(), "a response with a status line: " + response);
        final int code = Integer.parseInt(status.group(1));
        assertTrue(code >= 400 && code < 500, "4xx for " + request + "\n" + response);
        assertTrue(response.toLowerCase(Locale.ROOT).contains("content-type: application/problem+json"), response);
        final JsonNode problem = Json.MAPPER.readTree(response.substring(response.indexOf("\r\n\r\n") + 4));
        assertTrue(problem.path("status").asInt() == code && problem.path("detail").asText().length() > 0, "a problem document: " + response);
        assertHealthy(request);
    }

    private static void assertHealthy(final Hostile after) throws IOException
    {
        final String health = exchange(("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        assertTrue(health.startsWith("HTTP/1.1 200 "), "healthy after " + after + ": " + health);
    }

    @Provide
    Arbitrary<Hostile> hostileRequests()
    {
        return Arbitraries.oneOf(badBodies(), badHeads(), brokenChunks(), badHosts(), badMethodsAndPaths(), garbage());
    }

    /** POSTs whose JSON is wrong: cut, not JSON, wrong types, out of range, unknown or duplicate fields, too deep, too big. */
    private Arbitrary<Hostile> badBodies()
    {
        final Arbitrary<String> bodies = Arbitraries.oneOf(
            Arbitraries.integers().between(1, VALID_BATCH.length() - 1).map(cut -> VALID_BATCH.substring(0, cut)),
            Arbitraries.strings().ofMinLength(1).ofMaxLength(200).filter(text -> !text.isBlank() && !text.trim().startsWith("{")),
            Arbitraries.of("null", "[]", "\"flat\"", "42", "{}", "{\"kernel\":null}", "{\"kernel\":\"flat\",\"count\":\"1\"}",
                "{\"kernel\":\"flat\",\"count\":-1}", "{\"kernel\":\"flat\",\"count\":1e309}", "{\"kernel\":\"flat\",\"count\":1,\"count\":2}",
                "{\"kernel\":\"flat\",\"count\":1} trailing", "{\"kernel\":\"/boot/vmlinuz\",\"count\":1}", "{\"kernel\":\"../flat\",\"count\":1}",
                "{\"kernel\":\"flat\",\"count\":1,\"memMib\":99999999999}", "{\"kernel\":\"flat\",\"count\":100000}", "{\"kernel\":\"\\u0000\"}"),
            Arbitraries.strings().alpha().ofMinLength(1).ofMaxLength(20).filter(name -> !List.of("kernel", "count", "concurrency", "memMib",
                "bootTimeoutMs", "memory", "network", "console", "wait").contains(name)).map(name -> "{\"kernel\":\"flat\",\"count\":1,\"" + name + "\":1}"),
            Arbitraries.integers().between(100, 3000).map(depth -> "{\"kernel\":" + "[".repeat(depth) + "]".repeat(depth) + "}"),
            Arbitraries.integers().between(4097, 20000).map(size -> "{\"kernel\":\"" + "a".repeat(size) + "\"}"));
        return Combinators.combine(Arbitraries.of("/v1/batches", "/v1/vms"), bodies, Arbitraries.of("application/json", "text/plain", ""))
            .as((path, body, type) ->
            {
                final byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
                final String head = "POST " + path + " HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\n"
                    + (type.isEmpty() ? "" : "Content-Type: " + type + "\r\n") + "Content-Length: " + bytes.length + "\r\nConnection: close\r\n\r\n";
                return new Hostile("body", concat(head.getBytes(StandardCharsets.UTF_8), bytes));
            });
    }

    /** Heads the parser must refuse: lengths that lie or overflow, bad chunking, oversized lines and headers, odd versions. */
    private Arbitrary<Hostile> badHeads()
    {
        final String host = "Host: 127.0.0.1:%d\r\n";
        return Arbitraries.oneOf(
            Arbitraries.of("Content-Length: -1", "Content-Length: 99999999999999999999", "Content-Length: 1, 2", "Content-Length: abc",
                "Transfer-Encoding: chunked\r\nContent-Length: 5", "Transfer-Encoding: gzip, chunked, chunked", "Content-Length: 5\r\nContent-Length: 6")
                .map(header -> "POST /v1/batches HTTP/1.1\r\n" + host + "Content-Type: application/json\r\n" + header + "\r\n\r\n{}"),
            Arbitraries.integers().between(8_200, 40_000).map(size -> "GET /v1/kernels?" + "a".repeat(size) + " HTTP/1.1\r\n" + host + "\r\n"),
            Arbitraries.integers().between(8_200, 40_000).map(size -> "GET /v1/kernels HTTP/1.1\r\n" + host + "X-Big: " + "b".repeat(size) + "\r\n\r\n"),
            Arbitraries.integers().between(65, 300).map(count -> "GET /v1/kernels HTTP/1.1\r\n" + host + "X-Many: 1\r\n".repeat(count * 10) + "\r\n"),
            Arbitraries.of("HTTP/1.2", "HTTP/2.0", "HTTP/0.9", "HTTP/1.1.1", "HTTPS/1.1", "http/1.1", "HTTP/11")
                .map(version -> "GET /v1/kernels " + version + "\r\n" + host + "\r\n"),
            Arbitraries.strings().withCharRange((char)0, (char)31).ofMinLength(1).ofMaxLength(8).filter(text -> !text.equals("\t"))
                .map(control -> "GET /v1/kernels HTTP/1.1\r\n" + host + "X-Ctl: a" + control + "b\r\n\r\n"),
            Arbitraries.of("Bearer", "Bearer x", "Basic YWxhZGRpbjpvcGVuc2VzYW1l", "\u00ff\u00fe")
                .map(auth -> "GET /v1/kernels HTTP/1.1\r\n" + host + "Authorization: " + auth + "\r\nX-Broken header\r\n\r\n"))
            .map(text -> new Hostile("head", (text.contains("%d") ? String.format(Locale.ROOT, text.replace("%", "%%").replace("%%d", "%d"), port)
                : text).getBytes(StandardCharsets.ISO_8859_1)));
    }

    /** Chunked bodies whose framing is broken: chunk sizes that are not hex, negative, overflowing, or lie. */
    private Arbitrary<Hostile> brokenChunks()
    {
        return Arbitraries.of("zz\r\n{}\r\n0\r\n\r\n", "-1\r\n", "ffffffffffffffffff\r\nx\r\n", "1\r\n{}\r\n0\r\n\r\n", "2\r\n{}\r\n5\r\n")
            .map(chunks -> new Hostile(BROKEN_CHUNKS, ("POST /v1/batches HTTP/1.1\r\nHost: 127.0.0.1:" + port
                + "\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n" + chunks).getBytes(StandardCharsets.ISO_8859_1)));
    }

    /** Host headers of other names (DNS rebinding), other ports, none, two, or garbage. */
    private Arbitrary<Hostile> badHosts()
    {
        return Arbitraries.oneOf(
            Arbitraries.strings().withCharRange('a', 'z').ofMinLength(1).ofMaxLength(30).map(name -> name + ".example:" + port),
            Arbitraries.integers().between(1, 65535).filter(other -> other != port).map(other -> "127.0.0.1:" + other),
            Arbitraries.of("", "127.0.0.1:" + port + ", evil.example", "[::1", "127.0.0.1:" + port + ":1", "%00", "localhost:" + port + "@evil.example",
                "127.0.0.1:-1", "0x7f000001:" + port))
            .flatMap(host -> Arbitraries.of("GET /v1/kernels", "GET /healthz", "POST /v1/batches", "DELETE /v1/vms/vm-1")
                .map(line -> new Hostile("host", (line + " HTTP/1.1\r\nHost: " + host + "\r\nContent-Type: application/json\r\nContent-Length: "
                    + VALID_BATCH.length() + "\r\nConnection: close\r\n\r\n" + VALID_BATCH).getBytes(StandardCharsets.ISO_8859_1))));
    }

    /** Methods the API does not serve (known, custom, garbage) and paths it does not have (traversal, encodings, long). */
    private Arbitrary<Hostile> badMethodsAndPaths()
    {
        final Arbitrary<String> methods = Arbitraries.oneOf(Arbitraries.of("PUT", "PATCH", "TRACE", "CONNECT", "PROPFIND", "FOO", "get", "G\u00c9T"),
            Arbitraries.strings().withCharRange('A', 'Z').ofMinLength(1).ofMaxLength(12).filter(method -> !List.of("GET", "POST", "DELETE", "HEAD",
                "OPTIONS").contains(method)));
        final Arbitrary<String> paths = Arbitraries.oneOf(Arbitraries.of(PATHS),
            Arbitraries.of("/../etc/passwd", "/v1/vms/%2e%2e%2fetc", "/v1/vms/\u00e9", "/v1/vms/a%00b", "/v1//vms", "/v1/vms/" + "x".repeat(200),
                "/v1/batches/b1/events/more", "*", "http://evil.example/v1/kernels", "/%", "/v1/vms?wait=maybe"),
            Arbitraries.strings().withCharRange('!', '~').ofMinLength(1).ofMaxLength(60).map(path -> "/v1/" + path));
        return Combinators.combine(methods, paths).as((method, path) -> new Hostile("method/path",
            (method + " " + path + " HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
                .getBytes(StandardCharsets.ISO_8859_1)))
            .filter(request -> !servable(new String(request.bytes(), StandardCharsets.ISO_8859_1)));
    }

    /** Bytes that are not HTTP at all. */
    private Arbitrary<Hostile> garbage()
    {
        return Arbitraries.bytes().array(byte[].class).ofMinSize(1).ofMaxSize(500)
            .map(bytes -> new Hostile(GARBAGE, concat(bytes, "\r\n\r\n".getBytes(StandardCharsets.US_ASCII))));
    }

    /** A request line the API answers with 2xx (a GET of a served path, a DELETE of a VM...): not hostile, left out. */
    private static boolean servable(final String request)
    {
        final String line = request.substring(0, request.indexOf("\r\n"));
        return line.matches("(GET|HEAD) (/healthz|/metrics|/v1/kernels|/v1/openapi\\.json) HTTP/1\\.1");
    }

    private static byte[] concat(final byte[] first, final byte[] second)
    {
        final byte[] all = new byte[first.length + second.length];
        System.arraycopy(first, 0, all, 0, first.length);
        System.arraycopy(second, 0, all, first.length, second.length);
        return all;
    }

    /** Writes the request, half-closes, reads one response (its head and a Content-Length body). */
    private static String exchange(final byte[] request) throws IOException
    {
        try (Socket socket = new Socket("127.0.0.1", port))
        {
            socket.setSoTimeout(10_000);
            try
            {
                socket.getOutputStream().write(request);
                socket.getOutputStream().flush();
            }
            catch (final IOException ex)
            {
                // The server may answer and close before it has read everything (a head too large): read what it said.
            }
            final InputStream in = socket.getInputStream();
            final ByteArrayOutputStream head = new ByteArrayOutputStream();
            while (!head.toString(StandardCharsets.ISO_8859_1).endsWith("\r\n\r\n"))
            {
                final int b;
                try
                {
                    b = in.read();
                }
                catch (final java.net.SocketException reset)
                {
                    if (head.size() == 0)
                    {
                        return "";
                    }
                    throw reset;
                }
                if (b < 0)
                {
                    break;
                }
                head.write(b);
            }
            final String headText = head.toString(StandardCharsets.ISO_8859_1);
            final Matcher length = LENGTH.matcher(headText);
            final byte[] body = length.find() ? in.readNBytes(Integer.parseInt(length.group(1))) : new byte[0];
            return headText + new String(body, StandardCharsets.UTF_8);
        }
    }
}
