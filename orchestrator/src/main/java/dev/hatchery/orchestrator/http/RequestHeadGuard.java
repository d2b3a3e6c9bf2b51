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
 * request it parsed, and here there is none. Whether a head came is told by {@code headSeen} (the HTTP layer parsed a
 * request). Top: the server's bytes out to the client; bottom: the client's bytes in to the server.
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
                        push(toServer, grab(fromClient));
                    }

                    @Override
                    public void onUpstreamFinish()
                    {
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

            @Override
            public void onTimer(final Object key)
            {
                if (headSeen.getAsBoolean() || serverSpoke || isClosed(toClient))
                {
                    return;
                }
                onTimeout.run();
                // The client is not listened to any more; the answer goes out once the connection can take it, then it closes.
                cancel(fromClient);
                complete(toServer);
                cancel(fromServer);
                emit(toClient, answer, this::completeStage);
            }
        };
    }
}
