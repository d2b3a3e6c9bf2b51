package dev.hatchery.orchestrator;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;

import dev.hatchery.orchestrator.function.DeploymentStatus;
import dev.hatchery.orchestrator.function.DeploymentTracker;
import dev.hatchery.orchestrator.function.FunctionDeployment;
import dev.hatchery.orchestrator.function.FunctionInfo;
import dev.hatchery.orchestrator.function.FunctionNotFoundException;
import dev.hatchery.orchestrator.function.FunctionService;
import dev.hatchery.orchestrator.function.Invocation;
import dev.hatchery.orchestrator.function.TooManyFunctionsException;

/**
 * A test double of {@link FunctionService} for route tests (no KVM): deployed functions are remembered, and an invocation
 * answers by its request (and deploying {@code one-too-many} finds the service full): {@code fail} (exit status 3, a stderr line), {@code sleep} (timed out), {@code crash} (killed
 * by signal 11), {@code busy} (refused, too many), anything else echoed back. Real functions run in FunctionIT.
 */
public final class ScriptedFunctions implements FunctionService
{
    private final Map<String, FunctionInfo> functions = new ConcurrentHashMap<>();
    private final List<String> invoked = new ArrayList<>();

    private final DeploymentTracker deployments = new DeploymentTracker(java.time.Clock.systemUTC());

    @Override
    public CompletionStage<FunctionInfo> deploy(final FunctionDeployment deployment)
    {
        return deployments.track(deployment.name(), () -> deployNow(deployment));
    }

    @Override
    public Optional<DeploymentStatus> deployment(final String name)
    {
        return deployments.status(name);
    }

    private CompletionStage<FunctionInfo> deployNow(final FunctionDeployment deployment)
    {
        if (deployment.name().equals("one-too-many"))
        {
            return CompletableFuture.failedFuture(new TooManyFunctionsException(32, 32));
        }
        if (deployment.name().equals("slow"))
        {
            // Deploying takes a template boot: answered seconds later, on another thread.
            return CompletableFuture.supplyAsync(() -> deployment, CompletableFuture.delayedExecutor(2, java.util.concurrent.TimeUnit.SECONDS))
                .thenCompose(later -> deployNow(new FunctionDeployment("slow-done", later.handler(), later.memMib(), later.timeout(), later.payloadLimit())));
        }
        if (deployment.name().equals("very-slow"))
        {
            // A template boot that outlasts the connection's idle timeout (tests set it short): 8 s, then deployed.
            return CompletableFuture.supplyAsync(() -> deployment, CompletableFuture.delayedExecutor(8, java.util.concurrent.TimeUnit.SECONDS))
                .thenCompose(later -> deployNow(new FunctionDeployment("very-slow-done", later.handler(), later.memMib(), later.timeout(),
                    later.payloadLimit())))
                .thenApply(info -> new FunctionInfo("very-slow", info.handlerSha256(), info.handlerBytes(), info.memMib(), info.timeoutMs(),
                    info.payloadLimit(), info.deployedAt(), true));
        }
        if (deployment.name().equals("broken"))
        {
            // A template that fails to boot, after a while.
            return CompletableFuture.supplyAsync(() -> deployment, CompletableFuture.delayedExecutor(8, java.util.concurrent.TimeUnit.SECONDS))
                .thenCompose(later -> CompletableFuture.failedFuture(new IllegalStateException(
                    "the function broken could not be made ready: its template VM failed: boot_timeout")));
        }
        final FunctionInfo info = new FunctionInfo(deployment.name(), "ab".repeat(32), deployment.handler().length, deployment.memMib(),
            deployment.timeout().toMillis(), deployment.payloadLimit(), Instant.parse("2026-12-06T00:00:00Z"), true);
        functions.put(deployment.name(), info);
        return CompletableFuture.completedFuture(info);
    }

    @Override
    public List<FunctionInfo> list()
    {
        return functions.values().stream().sorted(java.util.Comparator.comparing(FunctionInfo::name)).toList();
    }

    @Override
    public Optional<FunctionInfo> get(final String name)
    {
        return Optional.ofNullable(functions.get(name));
    }

    @Override
    public boolean delete(final String name)
    {
        deployments.forget(name);
        return functions.remove(name) != null;
    }

    @Override
    public synchronized CompletionStage<Invocation> invoke(final String name, final byte[] request)
    {
        if (!functions.containsKey(name))
        {
            return CompletableFuture.failedFuture(new FunctionNotFoundException(name));
        }
        invoked.add(name);
        final String text = new String(request, StandardCharsets.UTF_8);
        final Invocation.Timings timings = new Invocation.Timings(5, 1, 2, 1.5, 0.5);
        final byte[] none = new byte[0];
        return switch (text)
        {
            case "fail" -> CompletableFuture.completedFuture(new Invocation(name, "vm-1", Invocation.Status.HANDLER_FAILED, none,
                "probe: failing on purpose\n".getBytes(StandardCharsets.UTF_8), "exit status 3", 3, timings));
            case "sleep" -> CompletableFuture.completedFuture(new Invocation(name, "vm-2", Invocation.Status.TIMED_OUT, none, none,
                "the function did not reply within 100 ms", null, timings));
            case "crash" -> CompletableFuture.completedFuture(new Invocation(name, "vm-3", Invocation.Status.HANDLER_FAILED, none, none,
                "killed by signal 11", null, timings));
            case "busy" -> CompletableFuture.failedFuture(new RefusedException(Refusal.tooMany("8 invocations are running")));
            default -> CompletableFuture.completedFuture(new Invocation(name, "vm-4", Invocation.Status.SUCCEEDED, request, none,
                "exit status 0", 0, timings));
        };
    }

    public synchronized List<String> invoked()
    {
        return List.copyOf(invoked);
    }
}
