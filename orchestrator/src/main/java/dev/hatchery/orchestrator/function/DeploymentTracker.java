package dev.hatchery.orchestrator.function;

import java.time.Clock;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * Remembers the last deploy of each function name in this process (in progress, succeeded, failed), so that a client
 * whose deploy request was answered before the deploy ended can ask how it went. One entry per name: bounded by the
 * names deployed, and forgotten when the function is deleted.
 */
public final class DeploymentTracker
{
    private final Map<String, DeploymentStatus> last = new ConcurrentHashMap<>();
    private final Clock clock;

    public DeploymentTracker(final Clock clock)
    {
        this.clock = clock;
    }

    /** Runs {@code deploy} for {@code name}, its status in progress until it ends; returns its outcome unchanged. */
    public CompletionStage<FunctionInfo> track(final String name, final Supplier<CompletionStage<FunctionInfo>> deploy)
    {
        final DeploymentStatus started = new DeploymentStatus(name, DeploymentStatus.State.IN_PROGRESS, clock.instant(), null, null, null);
        last.put(name, started);
        final CompletionStage<FunctionInfo> outcome;
        try
        {
            outcome = deploy.get();
        }
        catch (final RuntimeException ex)
        {
            ended(started, null, ex);
            throw ex;
        }
        return outcome.whenComplete((info, error) -> ended(started, info, error));
    }

    /** The last deploy of {@code name}, or empty when none was made in this process (or the function was deleted since). */
    public Optional<DeploymentStatus> status(final String name)
    {
        return Optional.ofNullable(last.get(name));
    }

    /** Forgets {@code name} (its function was deleted). */
    public void forget(final String name)
    {
        last.remove(name);
    }

    private void ended(final DeploymentStatus started, final FunctionInfo info, final Throwable error)
    {
        final Throwable cause = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
        final DeploymentStatus ended = cause == null
            ? new DeploymentStatus(started.name(), DeploymentStatus.State.SUCCEEDED, started.startedAt(), clock.instant(), null, info)
            : new DeploymentStatus(started.name(), DeploymentStatus.State.FAILED, started.startedAt(), clock.instant(),
                cause.getMessage() == null ? cause.getClass().getSimpleName() : cause.getMessage(), null);
        // Only if this deploy is still the last one of its name: a newer deploy's status is not overwritten.
        last.replace(started.name(), started, ended);
    }
}
