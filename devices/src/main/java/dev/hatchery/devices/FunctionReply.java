package dev.hatchery.devices;

import java.util.Objects;

/**
 * What a function's guest handed back for one invocation, read from its mailbox once its vCPU had stopped: the
 * handler's stdout and the tail of its stderr, its wait status and the mailbox flags; or, when the guest broke the
 * mailbox's rules (a length past its area), only what it broke ({@code violation}), since nothing else can be trusted.
 *
 * @param waitStatus the handler's status as wait4 reports it: exit code in bits 8..15, or the killing signal in 0..6
 * @param violation  null when the guest kept to the layout
 */
public record FunctionReply(byte[] stdout, byte[] stderr, int waitStatus, int flags, String violation)
{
    public FunctionReply
    {
        Objects.requireNonNull(stdout, "stdout");
        Objects.requireNonNull(stderr, "stderr");
    }

    static FunctionReply violated(final String what)
    {
        return new FunctionReply(new byte[0], new byte[0], 0, 0, what);
    }

    /** True when the handler ran and exited by itself (not killed by a signal). */
    public boolean exited()
    {
        return violation == null && !setupFailed() && (waitStatus & 0x7f) == 0;
    }

    /** The handler's exit code; meaningful when {@link #exited()}. */
    public int exitCode()
    {
        return (waitStatus >> 8) & 0xff;
    }

    /** The signal that killed the handler, or 0. */
    public int signal()
    {
        return exited() || violation != null || setupFailed() ? 0 : waitStatus & 0x7f;
    }

    /** The handler could not be started in the guest (its stderr tail says why). */
    public boolean setupFailed()
    {
        return (flags & dev.hatchery.config.FunctionMailbox.FLAG_SETUP_FAILED) != 0;
    }

    /** The handler wrote more than the payload limit to stdout (the rest was dropped in the guest). */
    public boolean responseOverflowed()
    {
        return (flags & dev.hatchery.config.FunctionMailbox.FLAG_RESPONSE_OVERFLOW) != 0;
    }

    /** The invocation succeeded: the handler exited 0 and its whole response fitted. */
    public boolean succeeded()
    {
        return exited() && exitCode() == 0 && !responseOverflowed();
    }

    /** One line on how the handler ended, e.g. {@code exit status 3} or {@code killed by signal 11}. */
    public String describeEnd()
    {
        if (violation != null)
        {
            return "the guest broke the mailbox protocol: " + violation;
        }
        if (setupFailed())
        {
            return "the handler could not be started in the guest";
        }
        if (!exited())
        {
            return "killed by signal " + signal();
        }
        if (responseOverflowed())
        {
            return "response larger than the payload limit";
        }
        return "exit status " + exitCode();
    }
}
