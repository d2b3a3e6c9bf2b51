package dev.hatchery.orchestrator.function;

import java.time.Duration;
import java.util.Objects;
import java.util.regex.Pattern;

import dev.hatchery.config.FunctionMailbox;
import dev.hatchery.orchestrator.Refusal;
import dev.hatchery.orchestrator.RefusedException;

/**
 * What deploying a function asks for: its name, its handler executable and how its clones run. Checked here, before
 * anything is written: a bad value is refused naming the field and the fix.
 *
 * @param payloadLimit the largest request and the largest response, bytes (a multiple of 4096)
 */
public record FunctionDeployment(String name, byte[] handler, int memMib, Duration timeout, int payloadLimit)
{
    /** Names as in URLs and file names: lower-case letters, digits and dashes, starting with a letter or digit. */
    public static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9-]{0,62}");
    public static final int DEFAULT_MEM_MIB = 128;
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(10);
    public static final Duration MAX_TIMEOUT = Duration.ofMinutes(15);
    /** The largest handler accepted (it is carried in the initramfs, which lies in guest RAM). */
    public static final int MAX_HANDLER_BYTES = 32 << 20;

    public FunctionDeployment
    {
        Objects.requireNonNull(handler, "handler");
        checkName(name);
        if (timeout == null || timeout.isNegative() || timeout.isZero() || timeout.compareTo(MAX_TIMEOUT) > 0)
        {
            throw invalid("timeoutMs", "timeout " + (timeout == null ? "missing" : timeout.toMillis() + " ms")
                + " is out of range: give 1 to " + MAX_TIMEOUT.toMillis() + " ms");
        }
        if (handler.length > MAX_HANDLER_BYTES)
        {
            throw invalid("handler", "the handler is " + handler.length + " bytes, over the limit of " + MAX_HANDLER_BYTES
                + " bytes: strip it (-s) or link less into it");
        }
        if (payloadLimit < FunctionMailbox.MIN_CAPACITY || payloadLimit > FunctionMailbox.MAX_CAPACITY
            || payloadLimit % FunctionMailbox.MIN_CAPACITY != 0)
        {
            throw invalid("payloadLimitBytes", "payload limit " + payloadLimit + " must be a multiple of 4096 between "
                + FunctionMailbox.MIN_CAPACITY + " and " + FunctionMailbox.MAX_CAPACITY + " bytes");
        }
        final String problem = HandlerCheck.problem(handler);
        if (problem != null)
        {
            throw invalid("handler", problem);
        }
    }

    /** Refuses a name that is not a function name, saying what one looks like. */
    public static void checkName(final String name)
    {
        if (name == null || !NAME.matcher(name).matches())
        {
            throw invalid("name", "function name '" + (name == null ? "" : name.length() > 80 ? name.substring(0, 80) + "..." : name)
                + "' is not valid: use 1 to 63 lower-case letters, digits and dashes, starting with a letter or digit");
        }
    }

    static RefusedException invalid(final String field, final String message)
    {
        return new RefusedException(Refusal.invalid(field, message));
    }
}
