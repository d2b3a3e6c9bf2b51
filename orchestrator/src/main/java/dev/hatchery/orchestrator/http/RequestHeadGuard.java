package dev.hatchery.orchestrator.http;

import java.time.Duration;
import java.util.function.BooleanSupplier;

import akka.stream.Attributes;
import akka.stream.BidiShape;
import akka.stream.Inlet;
import akka.stream.Outlet;
import akka.stream.stage.AbstractInHandler;
import akka.stream.stage.AbstractOutHandler;
import akka.stream.stage.GraphStage;
import akka.stream.stage.GraphStageLogic;
import akka.stream.stage.TimerGraphStageLogic;
import akka.util.ByteString;

/**
 * The request-head timeout of one connection, on its bytes: when no whole request head has come within the timeout of
 * connecting (a client that trickles its head, sends nothing, or sends bytes that never become a request line) and the
 * server has not answered anything, it writes {@code answer} (a 408 problem document) and closes the connection.
 * <p>
 * It sits below Akka's HTTP layer because above it an answer is impossible: the HTTP layer pairs each response with a
 * request it parsed, and here there is none. A head has come when the client's bytes held the empty line that ends one,
 * or the HTTP layer parsed a request ({@code headSeen}): a server slow to parse (a first request in a busy, emulated
 * machine) is not the client's fault. After the answer the client's bytes are read and dropped until the connection
 * closes, so that unread bytes do not turn the close into a reset that could destroy the answer.
 * Top: the server's bytes out to the client; bottom: the client's bytes in to the server.
 */
final class RequestHeadGuard extends GraphStage<BidiShape<ByteString, ByteString, ByteString, ByteString>>
{
    private static final String TIMER = "request-head";

    private final Inlet<ByteString> fromServer = Inlet.create("RequestHeadGuard.fromServer");
    private final Outlet<ByteString> toClient = Outlet.create("RequestHeadGuard.toClient");
    private final Inlet<ByteString> fromClient = Inlet.create("RequestHeadGuard.fromClient");
    private final Outlet<ByteString> toServer = Outlet.create("RequestHeadGuard.toServer");
    private final BidiShape<ByteString, ByteString, ByteString, ByteString> shape = BidiShape.of(fromServer, toClient, fromClient, toServer);

    private final Duration timeout;
    private final BooleanSupplier headSeen;
    private final ByteString answer;
    private final Runnable onTimeout;

    RequestHeadGuard(final Duration timeout, final BooleanSupplier headSeen, final ByteString answer, final Runnable onTimeout)
    {
        this.timeout = timeout;
        this.headSeen = headSeen;
        this.answer = answer;
        this.onTimeout = onTimeout;
    }

    @Override
    public BidiShape<ByteString, ByteString, ByteString, ByteString> shape()
    {
        return shape;
    }

    @Override
    public GraphStageLogic createLogic(final Attributes inheritedAttributes)
    {
        return new TimerGraphStageLogic(shape)
        {
            /** The server wrote to the client: whatever it was (a parse error's answer, say), it was an answer. */
            private boolean serverSpoke;
            /** The client's bytes held the empty line that ends a request head. */
            private boolean headArrived;
            /** Bytes of the current line so far, CRs not counted; whether any byte but CR or LF came yet; spaces in the first line. */
            private int lineLength;
            private boolean content;
            private int firstLineSpaces;
            private boolean firstLineDone;
            private boolean timedOut;

            {
                setHandler(fromServer, new AbstractInHandler()
                {
                    @Override
                    public void onPush()
                    {
                        serverSpoke = true;
                        push(toClient, grab(fromServer));
                    }

                    @Override
                    public void onUpstreamFinish()
                    {
                        complete(toClient);
                    }
                });
                setHandler(toClient, new AbstractOutHandler()
                {
                    @Override
                    public void onPull()
                    {
                        pull(fromServer);
                    }

                    @Override
                    public void onDownstreamFinish(final Throwable cause)
                    {
                        cancel(fromServer, cause);
                    }
                });
                setHandler(fromClient, new AbstractInHandler()
                {
                    @Override
                    public void onPush()
                    {
                        final ByteString bytes = grab(fromClient);
                        if (timedOut)
                        {
                            pull(fromClient);
                            return;
                        }
                        if (!headArrived)
                        {
                            scan(bytes);
                        }
                        push(toServer, bytes);
                    }

                    @Override
                    public void onUpstreamFinish()
                    {
                        if (timedOut)
                        {
                            completeStage();
                            return;
                        }
                        complete(toServer);
                    }
                });
                setHandler(toServer, new AbstractOutHandler()
                {
                    @Override
                    public void onPull()
                    {
                        pull(fromClient);
                    }

                    @Override
                    public void onDownstreamFinish(final Throwable cause)
                    {
                        cancel(fromClient, cause);
                    }
                });
            }

            @Override
            public void preStart()
            {
                scheduleOnce(TIMER, timeout);
            }

            /**
             * Looks for the empty line that ends a head (CRLF CRLF, or bare LFs) after a first line shaped like a request line
             * (method, target and version: two spaces at least). Empty lines before it do not count, and bytes with no such
             * line are no head at all, whatever follows (Akka's parser may wait on them for more).
             */
            private void scan(final ByteString bytes)
            {
                for (int i = 0; i < bytes.length() && !headArrived; i++)
                {
                    final byte b = bytes.apply(i);
                    if (b == '\n')
                    {
                        headArrived = lineLength == 0 && firstLineDone && firstLineSpaces >= 2;
                        firstLineDone |= content;
                        lineLength = 0;
                    }
                    else if (b != '\r')
                    {
                        lineLength++;
                        content = true;
                        if (b == ' ' && !firstLineDone)
                        {
                            firstLineSpaces++;
                        }
                    }
                }
            }

            @Override
            public void onTimer(final Object key)
            {
                if (headArrived || headSeen.getAsBoolean() || serverSpoke || isClosed(toClient))
                {
                    return;
                }
                onTimeout.run();
                timedOut = true;
                // The server hears no more; the client's bytes are drained (not cancelled: unread bytes make the close a
                // reset); the answer goes out once the connection can take it, and then the connection closes.
                complete(toServer);
                cancel(fromServer);
                if (!isClosed(fromClient) && !hasBeenPulled(fromClient))
                {
                    pull(fromClient);
                }
                emit(toClient, answer, () -> complete(toClient));
            }
        };
    }
}
