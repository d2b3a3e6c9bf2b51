package dev.hatchery.orchestrator.function;

import java.time.Instant;

/**
 * The last deploy of a function name in this process, as a client polling it sees it: in progress, succeeded (with the
 * function) or failed (with why). A deploy boots the function's template, which can outlast an HTTP connection's idle
 * timeout; this is what {@code GET /v1/functions/{name}/deployment} answers meanwhile and after.
 *
 * @param endedAt  null while in progress
 * @param detail   why it failed; null otherwise
 * @param function the deployed function once it succeeded; null otherwise
 */
public record DeploymentStatus(String name, State state, Instant startedAt, Instant endedAt, String detail, FunctionInfo function)
{
    public enum State
    {
        IN_PROGRESS,
        SUCCEEDED,
        FAILED
    }
}
