package dev.hatchery.orchestrator.function;

import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletionStage;

/** What callers (the HTTP routes, the CLI, an embedding program) can do with functions; {@link Functions} does it on KVM. */
public interface FunctionService
{
    /**
     * Deploys or replaces a function; completes once it is ready to be invoked. Fails with
     * {@link dev.hatchery.orchestrator.RefusedException} for bad input, {@link TooManyFunctionsException} when the service
     * keeps as many as it may.
     */
    CompletionStage<FunctionInfo> deploy(FunctionDeployment deployment);

    /**
     * The last deploy of {@code name} in this process: in progress, succeeded or failed (with why); empty when there was
     * none (or the function was deleted since). A deploy boots a template and can take long: a caller that stopped
     * waiting for {@link #deploy} asks here.
     */
    Optional<DeploymentStatus> deployment(String name);

    /** Every deployed function. */
    List<FunctionInfo> list();

    /** One deployed function, or empty. */
    Optional<FunctionInfo> get(String name);

    /** Removes a function; false if none of that name is deployed. */
    boolean delete(String name);

    /**
     * One invocation in a fresh clone: completes with how it went (handler failures and timeouts included); fails with
     * {@link FunctionNotFoundException}, or {@link dev.hatchery.orchestrator.RefusedException} when the request is over
     * the payload limit or the service is full.
     */
    CompletionStage<Invocation> invoke(String name, byte[] request);
}
