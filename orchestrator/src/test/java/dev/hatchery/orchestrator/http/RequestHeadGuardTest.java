package dev.hatchery.orchestrator.http;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import akka.actor.typed.ActorSystem;
import akka.actor.typed.javadsl.Behaviors;
import akka.stream.javadsl.BidiFlow;
import akka.stream.javadsl.Flow;
import akka.stream.javadsl.Sink;
import akka.stream.javadsl.Source;
import akka.util.ByteString;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The request-head guard alone, between a client's bytes and a server that never answers (as a server still parsing a
 * first request in a slow machine looks): what counts as a head that came, and what is answered 408.
 */
class RequestHeadGuardTest
{
    private static final ByteString ANSWER = ByteString.fromString("HTTP/1.1 408 Request Timeout\r\n\r\n");

    private static ActorSystem<Void> system;

    @BeforeAll
    static void start()
    {
        system = ActorSystem.create(Behaviors.empty(), "request-head-guard-test");
    }

    @AfterAll
    static void stop()
    {
        system.terminate();
    }

    @Test
    void shouldNotAnswerAClientWhoseWholeHeadCameEvenIfTheServerHasNotParsedItYet() throws Exception
    {
        final AtomicInteger timeouts = new AtomicInteger();

        final List<ByteString> toClient = exchange("POST /v1/batches HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 2\r\n\r\n{}", timeouts);

        assertEquals(List.of(), toClient);
        assertEquals(0, timeouts.get());
    }

    @Test
    void shouldAnswerAHeadThatNeverEnds() throws Exception
    {
        final AtomicInteger timeouts = new AtomicInteger();

        final List<ByteString> toClient = exchange("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ", timeouts);

        assertEquals(List.of(ANSWER), toClient);
        assertEquals(1, timeouts.get());
    }

    @Test
    void shouldAnswerBytesWithNoRequestLineEvenWhenAnEmptyLineFollows() throws Exception
    {
        final AtomicInteger timeouts = new AtomicInteger();

        final List<ByteString> toClient = exchange("\r\n\u00ff\r\n\r\n", timeouts);

        assertEquals(List.of(ANSWER), toClient);
        assertEquals(1, timeouts.get());
    }

    /** The client's bytes in, split one byte per element (heads arrive in pieces); what reached the client in 1.5 s. */
    private static List<ByteString> exchange(final String clientBytes, final AtomicInteger timeouts) throws Exception
    {
        final BidiFlow<ByteString, ByteString, ByteString, ByteString, akka.NotUsed> guard = BidiFlow.fromGraph(
            new RequestHeadGuard(Duration.ofMillis(300), () -> false, ANSWER, timeouts::incrementAndGet));
        final Flow<ByteString, ByteString, akka.NotUsed> silentServer = Flow.fromSinkAndSource(Sink.ignore(), Source.maybe());
        final byte[] bytes = clientBytes.getBytes(StandardCharsets.ISO_8859_1);
        final Source<ByteString, ?> client = Source.range(0, bytes.length - 1).map(i -> ByteString.fromArray(new byte[]{bytes[i]}))
            .concat(Source.maybe());
        return client.via(guard.reversed().join(silentServer)).takeWithin(Duration.ofMillis(1500)).runWith(Sink.seq(), system)
            .toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
}
