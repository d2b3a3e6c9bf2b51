package dev.hatchery.vm;

import java.time.Duration;
import java.util.Objects;

/**
 * One invocation for a clone of a function's template: the request its handler reads on stdin, and how long the
 * handler may take from the clone's start until its reply (then the VM is stopped and the invocation times out).
 */
public record FunctionCall(byte[] request, Duration timeout)
{
    public FunctionCall
    {
        Objects.requireNonNull(request, "request");
        Objects.requireNonNull(timeout, "timeout");
        if (timeout.isNegative() || timeout.isZero())
        {
            throw new IllegalArgumentException("a function's timeout must be positive: timeout=" + timeout);
        }
    }
}
