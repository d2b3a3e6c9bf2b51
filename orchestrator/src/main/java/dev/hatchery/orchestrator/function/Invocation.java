package dev.hatchery.orchestrator.function;

import java.util.Objects;

/**
 * How one invocation went: its status, the handler's response (stdout) and the tail of its stderr, how the handler
 * ended, and where the time went.
 *
 * @param vmId   the clone that ran it
 * @param detail for anything but {@link Status#SUCCEEDED}: what happened, e.g. {@code exit status 3}
 */
public record Invocation(String function, String vmId, Status status, byte[] response, byte[] stderrTail, String detail,
                         Integer exitStatus, Timings timings)
{
    /** How an invocation ended; the HTTP layer answers 200, 502, 504 and 502. */
    public enum Status
    {
        /** The handler exited 0 and its whole response fitted the payload limit. */
        SUCCEEDED,
        /** The handler exited non-zero, was killed, could not start, or broke the limit or the mailbox protocol. */
        HANDLER_FAILED,
        /** No reply within the function's timeout: the clone was stopped. */
        TIMED_OUT,
        /** The clone itself failed (could not be built, the host failed): nothing ran, or nothing came back. */
        VM_FAILED
    }

    /**
     * Where an invocation's time went, in milliseconds: {@code total} as the caller waited; {@code clone} from the clone's
     * start to its guest's resume (boot-complete), {@code run} from there to the handler's reply, {@code collect} from
     * the reply to the caller having it; {@code queue} the rest (admission, the template lookup, the clone's actor).
     * A phase the clone never reached is -1.
     */
    public record Timings(double totalMs, double queueMs, double cloneMs, double runMs, double collectMs)
    {
    }

    public Invocation
    {
        Objects.requireNonNull(status, "status");
        Objects.requireNonNull(response, "response");
        Objects.requireNonNull(stderrTail, "stderrTail");
        Objects.requireNonNull(timings, "timings");
    }

    public boolean succeeded()
    {
        return status == Status.SUCCEEDED;
    }
}
