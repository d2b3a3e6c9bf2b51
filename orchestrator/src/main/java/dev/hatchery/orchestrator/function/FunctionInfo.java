package dev.hatchery.orchestrator.function;

import java.time.Instant;

/**
 * A deployed function as callers see it.
 *
 * @param handlerSha256 hex SHA-256 of the handler executable
 * @param ready         its clone template is made (invocations clone it at once); false until the first invocation
 *                      after a restart made it again
 */
public record FunctionInfo(String name, String handlerSha256, long handlerBytes, int memMib, long timeoutMs, int payloadLimit,
                           Instant deployedAt, boolean ready)
{
}
