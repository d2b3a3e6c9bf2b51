package dev.hatchery.orchestrator.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import akka.actor.typed.ActorSystem;
import akka.actor.typed.javadsl.Behaviors;

import dev.hatchery.orchestrator.ScriptedVmService;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The server's guards over real sockets (no KVM): the Host check (DNS rebinding), the connection bound, the
 * request-head and idle timeouts, and the open-connections metric. Raw sockets, because an HTTP client library
 * sets the Host header itself and reconnects by itself.
 */
class HttpGuardsTest
{
    private static final Pattern OPEN_CONNECTIONS = Pattern.compile("(?m)^hatchery_http_connections_open (\\d+)$");
    private static final Pattern HEAD_TIMEOUTS = Pattern.compile("(?m)^hatchery_http_request_head_timeouts_total (\\d+)$");

    @TempDir
    static Path dir;

    private static ActorSystem<Void> system;
    private static ScriptedVmService service;

    @BeforeAll
    static void start() throws IOException
    {
        system = ActorSystem.create(Behaviors.empty(), "http-guards-test");
        service = new ScriptedVmService(Files.write(dir.resolve("flat.elf"), new byte[]{1}), 20);
    }

    @AfterAll
    static void stop()
    {
        service.close();
        system.terminate();
    }

    private static HttpServer server(final HttpGuards guards)
    {
        return HttpServer.start(system, service, new HttpSettings("127.0.0.1", 0, Optional.empty(), 4096, Duration.ofSeconds(3), guards),
            1000, 256);
    }

    @Test
    void shouldAnswerRequestsNamingTheLoopbackAddressWithItsPort() throws IOException
    {
        try (HttpServer server = server(HttpGuards.DEFAULTS))
        {
            final int port = server.address().getPort();
            for (final String host : List.of("127.0.0.1:" + port, "localhost:" + port, "[::1]:" + port, "LocalHost:" + port))
            {
                assertEquals(200, status(get(port, "/healthz", host)), host);
            }
        }
    }

    @Test
    void shouldRefuseAForeignHostAsDnsRebindingWith421() throws IOException
    {
        try (HttpServer server = server(HttpGuards.DEFAULTS))
        {
            final int port = server.address().getPort();

            final String response = get(port, "/v1/kernels", "attacker.example:" + port);

            assertEquals(421, status(response), response);
            assertTrue(response.contains("application/problem+json"), response);
            assertTrue(response.contains("\"detail\":\"Host 'attacker.example:" + port + "' does not name this service: requests must name 127.0.0.1:"
                + port + ", localhost:" + port + ", [::1]:" + port), response);
            assertEquals(421, status(get(port, "/healthz", "attacker.example:" + port)));
            assertEquals(421, status(get(port, "/healthz", "127.0.0.1:" + (port == 65535 ? 1 : port + 1))), "another port is another origin");
            assertEquals(421, status(get(port, "/healthz", "127.0.0.1")), "no port means port 80");
        }
    }

    @Test
    void shouldRefuseARequestWithoutHostWith400() throws IOException
    {
        try (HttpServer server = server(HttpGuards.DEFAULTS))
        {
            final String response = exchange(server.address().getPort(), "GET /healthz HTTP/1.0\r\n\r\n");

            // Akka's parser refuses it before the routes see it (HTTP/1.1 without Host too): a 400 problem naming the header.
            assertEquals(400, status(response), response);
            assertTrue(response.contains("application/problem+json") && response.contains("missing a `Host` header"), response);
        }
    }

    @Test
    void shouldAnswerConfiguredNamesWithAnyPortAndAnyNameWithAStar() throws IOException
    {
        try (HttpServer named = server(HttpGuards.DEFAULTS.withAllowedHosts(List.of("hatchery.example.com")));
             HttpServer any = server(HttpGuards.DEFAULTS.withAllowedHosts(List.of("*"))))
        {
            assertEquals(200, status(get(named.address().getPort(), "/healthz", "hatchery.example.com")));
            assertEquals(200, status(get(named.address().getPort(), "/healthz", "hatchery.example.com:443")));
            assertEquals(421, status(get(named.address().getPort(), "/healthz", "other.example.com")));
            assertEquals(200, status(get(any.address().getPort(), "/healthz", "other.example.com")));
        }
    }

    @Test
    void shouldAnswer408AndCloseAConnectionThatSendsNoWholeRequestHeadInTime() throws Exception
    {
        try (HttpServer server = server(HttpGuards.DEFAULTS.withConnections(8, Duration.ofSeconds(60), Duration.ofMillis(500)));
             Socket slow = new Socket("127.0.0.1", server.address().getPort()))
        {
            final int port = server.address().getPort();
            slow.setSoTimeout(10_000);
            // A slowloris trickles its head a byte at a time: the bytes keep the connection from idling, the head never ends.
            // It stops writing once the server has said something (writing on would earn a reset that can eat the answer).
            final byte[] head = ("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\nX-Slow: ").getBytes(StandardCharsets.US_ASCII);
            int sent = 0;
            while (sent < head.length && slow.getInputStream().available() == 0)
            {
                slow.getOutputStream().write(head[sent++]);
                slow.getOutputStream().flush();
                Thread.sleep(100);
            }

            final String response = readResponse(slow.getInputStream());

            assertTrue(sent < head.length, "answered before the head was complete: sent " + sent + " of " + head.length + " bytes");
            assertEquals(408, status(response), response);
            assertTrue(response.contains("Content-Type: application/problem+json") && response.contains("Connection: close"), response);
            final com.fasterxml.jackson.databind.JsonNode problem = Json.MAPPER.readTree(response.substring(response.indexOf("\r\n\r\n") + 4));
            assertEquals(408, problem.path("status").asInt(), response);
            assertEquals("urn:hatchery:problem:head-timeout", problem.path("type").asText(), response);
            assertTrue(problem.path("detail").asText().contains("hatchery.http.request-head-timeout"), response);
            assertTrue(closedByPeer(slow), "the server closed the connection after its answer");
            assertEquals(1, metric(HEAD_TIMEOUTS, port));
        }
    }

    @Test
    void shouldAnswer408ToARequestLineThatNeverEndsAndStayHealthy() throws Exception
    {
        try (HttpServer server = server(HttpGuards.DEFAULTS.withConnections(8, Duration.ofSeconds(60), Duration.ofMillis(300)));
             Socket socket = new Socket("127.0.0.1", server.address().getPort()))
        {
            final int port = server.address().getPort();
            socket.setSoTimeout(10_000);
            // Bytes the parser must wait on (they could still become a request line): only the timeout can end them.
            socket.getOutputStream().write("GET /healthz-with-no-line-end".getBytes(StandardCharsets.US_ASCII));

            final String response = readResponse(socket.getInputStream());

            assertEquals(408, status(response), response);
            assertTrue(closedByPeer(socket), "closed after the answer");
            assertEquals(200, status(get(port, "/healthz", "127.0.0.1:" + port)));
        }
    }

    @Test
    void shouldNotAnswerATimelyRequestWithA408() throws Exception
    {
        try (HttpServer server = server(HttpGuards.DEFAULTS.withConnections(8, Duration.ofSeconds(60), Duration.ofMillis(300)));
             Socket socket = new Socket("127.0.0.1", server.address().getPort()))
        {
            final int port = server.address().getPort();
            socket.setSoTimeout(10_000);
            socket.getOutputStream().write(("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            assertEquals(200, status(readResponse(socket.getInputStream())));
            Thread.sleep(600);

            // Past the head timeout the keep-alive connection still serves: the timeout is for the first head only.
            socket.getOutputStream().write(("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            assertEquals(200, status(readResponse(socket.getInputStream())));
            assertEquals(0, metric(HEAD_TIMEOUTS, port));
        }
    }

    @Test
    void shouldCloseAConnectionIdleLongerThanTheIdleTimeout() throws Exception
    {
        try (HttpServer server = server(HttpGuards.DEFAULTS.withConnections(8, Duration.ofSeconds(1), Duration.ofSeconds(10)));
             Socket socket = new Socket("127.0.0.1", server.address().getPort()))
        {
            final int port = server.address().getPort();
            socket.setSoTimeout(15_000);
            socket.getOutputStream().write(("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            final String response = readResponse(socket.getInputStream());
            assertEquals(200, status(response), response);
            final long start = System.nanoTime();

            final boolean closed = closedByPeer(socket);

            final long idleMs = (System.nanoTime() - start) / 1_000_000;
            assertTrue(closed, "the server closed the idle keep-alive connection");
            assertTrue(idleMs >= 500 && idleMs < 10_000, "closed after " + idleMs + " ms idle (timeout 1 s)");
        }
    }

    @Test
    void shouldServeNoMoreConnectionsAtOnceThanTheBoundAndCountThemInMetrics() throws Exception
    {
        try (HttpServer server = server(HttpGuards.DEFAULTS.withConnections(3, Duration.ofSeconds(60), Duration.ofSeconds(30))))
        {
            final int port = server.address().getPort();
            final List<Socket> idle = new ArrayList<>();
            try
            {
                idle.add(new Socket("127.0.0.1", port));
                idle.add(new Socket("127.0.0.1", port));
                assertEquals(3, eventually(() -> metric(OPEN_CONNECTIONS, port), 3), "two idle connections and this request's");
                idle.add(new Socket("127.0.0.1", port));
                waitForOpen(server, 3);

                try (Socket waiting = new Socket("127.0.0.1", port))
                {
                    waiting.setSoTimeout(1000);
                    waiting.getOutputStream().write(("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\n\r\n")
                        .getBytes(StandardCharsets.US_ASCII));
                    assertThrows(SocketTimeoutException.class, () -> waiting.getInputStream().read(), "a fourth connection waits");

                    idle.remove(0).close();
                    waiting.setSoTimeout(10_000);
                    final String response = readResponse(waiting.getInputStream());

                    assertEquals(200, status(response), "answered once a slot is free: " + response);
                }
            }
            finally
            {
                for (final Socket socket : idle)
                {
                    socket.close();
                }
            }
        }
    }

    /** Reads until the peer closes (end of stream, or a reset: Akka aborts timed-out connections); false if it sends data. */
    private static boolean closedByPeer(final Socket socket) throws IOException
    {
        try
        {
            return socket.getInputStream().read() == -1;
        }
        catch (final java.net.SocketException ex)
        {
            return ex.getMessage().contains("reset");
        }
    }

    private static void waitForOpen(final HttpServer server, final int open) throws InterruptedException
    {
        final long deadline = System.nanoTime() + 10_000_000_000L;
        while (server.openConnections() < open && System.nanoTime() < deadline)
        {
            Thread.sleep(20);
        }
        assertEquals(open, server.openConnections());
    }

    private interface Reading
    {
        long read() throws Exception;
    }

    private static long eventually(final Reading reading, final long expected) throws Exception
    {
        long value = reading.read();
        for (int i = 0; i < 100 && value != expected; i++)
        {
            Thread.sleep(50);
            value = reading.read();
        }
        return value;
    }

    private static long metric(final Pattern pattern, final int port) throws IOException
    {
        final String response = get(port, "/metrics", "127.0.0.1:" + port);
        final Matcher matcher = pattern.matcher(response);
        assertTrue(matcher.find(), response);
        return Long.parseLong(matcher.group(1));
    }

    private static String get(final int port, final String path, final String host) throws IOException
    {
        return exchange(port, "GET " + path + " HTTP/1.1\r\nHost: " + host + "\r\nConnection: close\r\n\r\n");
    }

    private static String exchange(final int port, final String request) throws IOException
    {
        try (Socket socket = new Socket("127.0.0.1", port))
        {
            socket.setSoTimeout(10_000);
            socket.getOutputStream().write(request.getBytes(StandardCharsets.US_ASCII));
            return new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    /** One response with a Content-Length body, leaving the connection open. */
    private static String readResponse(final InputStream in) throws IOException
    {
        final ByteArrayOutputStream head = new ByteArrayOutputStream();
        while (!head.toString(StandardCharsets.US_ASCII).endsWith("\r\n\r\n"))
        {
            final int b = in.read();
            if (b < 0)
            {
                break;
            }
            head.write(b);
        }
        final Matcher length = Pattern.compile("(?i)content-length: (\\d+)").matcher(head.toString(StandardCharsets.US_ASCII));
        final byte[] body = length.find() ? in.readNBytes(Integer.parseInt(length.group(1))) : new byte[0];
        return head.toString(StandardCharsets.US_ASCII) + new String(body, StandardCharsets.UTF_8);
    }

    private static int status(final String response)
    {
        assertTrue(response.startsWith("HTTP/1.1 "), response);
        return Integer.parseInt(response.substring(9, 12));
    }
}
