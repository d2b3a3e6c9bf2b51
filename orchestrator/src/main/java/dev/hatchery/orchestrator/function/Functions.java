package dev.hatchery.orchestrator.function;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;

import dev.hatchery.config.InvalidSpecException;
import dev.hatchery.config.SpawnMode;
import dev.hatchery.config.VmSpec;
import dev.hatchery.devices.FunctionReply;
import dev.hatchery.kernel.CpioArchive;
import dev.hatchery.kernel.KernelCache;
import dev.hatchery.kernel.PreparedKernel;
import dev.hatchery.orchestrator.KernelCatalog;
import dev.hatchery.orchestrator.Refusal;
import dev.hatchery.orchestrator.RefusedException;
import dev.hatchery.orchestrator.RunningVm;
import dev.hatchery.orchestrator.SpawnRequest;
import dev.hatchery.vm.CloneTemplate;
import dev.hatchery.vm.FunctionCall;
import dev.hatchery.vm.Phase;
import dev.hatchery.vm.Timeline;
import dev.hatchery.vm.VmFailure;
import dev.hatchery.vm.VmHost;
import dev.hatchery.vm.VmResult;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The deployed functions of one Hatchery and their invocations. Deploying writes the function to the store, builds its
 * initramfs (the bundled one with {@code /handler} appended) and boots its template to the ready point, where /init
 * has started the handler; the template (and its kernel) stay held until the function is deleted, replaced or this
 * closes. Each invocation is one clone of that template, spawned through the supervisor like any VM (admission, memory
 * budget), serving one request through its mailbox, destroyed when it has replied.
 */
public final class Functions implements FunctionService, AutoCloseable
{
    private static final Logger LOG = LoggerFactory.getLogger(Functions.class);

    /**
     * @param dir                      where deployed functions are kept (survives restarts)
     * @param maxFunctions             how many may be deployed at once
     * @param maxConcurrentInvocations invocations running at once before more are refused (429)
     * @param templateBootTimeout      how long a function's template may take to boot to its ready point
     */
    public record Settings(Path dir, int maxFunctions, int maxConcurrentInvocations, Duration templateBootTimeout)
    {
        public Settings
        {
            if (maxFunctions < 1 || maxConcurrentInvocations < 1)
            {
                throw new IllegalArgumentException("hatchery.functions.max-functions and max-concurrent-invocations must be at least 1: "
                    + maxFunctions + ", " + maxConcurrentInvocations);
            }
        }
    }

    /** What the invocations of one deployed function share: its stored facts, its spec, the kernel and template held for it. */
    private record Live(FunctionStore.Stored stored, VmSpec spec, PreparedKernel kernel, CloneTemplate template)
    {
    }

    private final Settings settings;
    private final FunctionStore store;
    private final KernelCatalog catalog;
    private final KernelCache kernels;
    private final VmHost host;
    private final Function<SpawnRequest, CompletionStage<RunningVm>> spawner;
    private final ExecutorService preparing;
    private final Map<String, CompletableFuture<Live>> live = new ConcurrentHashMap<>();
    private final AtomicInteger inFlight = new AtomicInteger();
    private final AtomicLong invocations = new AtomicLong();
    private final AtomicLong refused = new AtomicLong();
    private final Map<Invocation.Status, AtomicLong> ended = new ConcurrentHashMap<>();
    private final Object deploying = new Object();
    private final DeploymentTracker deployments = new DeploymentTracker(java.time.Clock.systemUTC());

    public Functions(final Settings settings, final KernelCatalog catalog, final KernelCache kernels, final VmHost host,
        final Function<SpawnRequest, CompletionStage<RunningVm>> spawner)
    {
        this.settings = settings;
        this.store = new FunctionStore(settings.dir());
        this.catalog = catalog;
        this.kernels = kernels;
        this.host = host;
        this.spawner = spawner;
        final AtomicInteger threads = new AtomicInteger();
        this.preparing = Executors.newCachedThreadPool(runnable ->
        {
            final Thread thread = new Thread(runnable, "function-prepare-" + threads.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        });
        for (final Invocation.Status status : Invocation.Status.values())
        {
            ended.put(status, new AtomicLong());
        }
    }

    public Settings settings()
    {
        return settings;
    }

    /**
     * Deploys (or replaces) a function and completes once its template is ready; fails with {@link RefusedException}
     * for bad input, {@link TooManyFunctionsException}, or with why its template could not be made (nothing is then left deployed
     * in its place: a replaced function stays as it was).
     */
    @Override
    public CompletionStage<FunctionInfo> deploy(final FunctionDeployment deployment)
    {
        return deployments.track(deployment.name(), () -> CompletableFuture.supplyAsync(() -> deployNow(deployment), preparing));
    }

    @Override
    public Optional<DeploymentStatus> deployment(final String name)
    {
        FunctionDeployment.checkName(name);
        return deployments.status(name);
    }

    private FunctionInfo deployNow(final FunctionDeployment deployment)
    {
        synchronized (deploying)
        {
            final String name = deployment.name();
            final List<String> names = store.names();
            if (!names.contains(name) && names.size() >= settings.maxFunctions())
            {
                throw new TooManyFunctionsException(names.size(), settings.maxFunctions());
            }
            final long start = System.nanoTime();
            final Path initramfs = store.writeInitramfs(name, initramfs(deployment.handler()));
            final Live fresh;
            try
            {
                final VmSpec spec = spec(deployment.memMib(), deployment.payloadLimit(), initramfs);
                // Its stored facts come with the commit below, once the template is ready.
                fresh = prepare(name, null, spec);
            }
            catch (final RuntimeException ex)
            {
                if (!initramfsInUse(name, initramfs))
                {
                    store.discard(initramfs);
                }
                throw ex;
            }
            final FunctionStore.Stored stored;
            try
            {
                stored = store.commit(deployment, initramfs, Instant.now());
            }
            catch (final RuntimeException ex)
            {
                release(fresh);
                throw ex;
            }
            final CompletableFuture<Live> previous = live.put(name, CompletableFuture.completedFuture(
                new Live(stored, fresh.spec(), fresh.kernel(), fresh.template())));
            releaseWhenDone(previous);
            LOG.info("function.deployed name={} handler_sha256={} handler_bytes={} mem_mib={} timeout_ms={} payload_limit={} template_bytes={}"
                + " deploy_ms={}", name, stored.handlerSha256().substring(0, 12), stored.handlerBytes(), stored.memMib(),
                stored.timeout().toMillis(), stored.payloadLimit(), fresh.template().capturedBytes(), (System.nanoTime() - start) / 1_000_000);
            return info(stored, true);
        }
    }

    private boolean initramfsInUse(final String name, final Path initramfs)
    {
        final CompletableFuture<Live> current = live.get(name);
        return current != null && current.isDone() && !current.isCompletedExceptionally()
            && initramfs.equals(current.join().spec().initrd());
    }

    /** The bundled initramfs with the handler added as /handler. */
    private byte[] initramfs(final byte[] handler)
    {
        final Path base = catalog.get(KernelCatalog.LINUX).initrd();
        try
        {
            return CpioArchive.appendFile(Files.readAllBytes(base), "handler", handler, 0755);
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("cannot read the bundled initramfs " + base + ": " + ex.getMessage(), ex);
        }
    }

    /** A function clone's spec: the bundled Linux (no console), the function's initramfs, its memory and mailbox. */
    private VmSpec spec(final int memMib, final int payloadLimit, final Path initramfs)
    {
        try
        {
            return catalog.specFor(KernelCatalog.LINUX, false).initrd(initramfs).memMib(memMib).spawn(SpawnMode.CLONE)
                .payloadLimit(payloadLimit).bootTimeout(settings.templateBootTimeout()).conclude();
        }
        catch (final InvalidSpecException ex)
        {
            throw new RefusedException(Refusal.invalid(ex.field() == dev.hatchery.config.SpecField.PAYLOAD_LIMIT ? "payloadLimitBytes" : "memMib",
                ex.getMessage()));
        }
    }

    /** Holds the kernel and makes (or finds) the template; releases the kernel again if the template cannot be made. */
    private Live prepare(final String name, final FunctionStore.Stored stored, final VmSpec spec)
    {
        final PreparedKernel kernel = kernels.acquire(spec.cloneTemplateSpec());
        try
        {
            return new Live(stored, spec, kernel, host.acquireCloneTemplate(spec, kernel));
        }
        catch (final RuntimeException ex)
        {
            kernels.release(kernel);
            throw new IllegalStateException("the function " + name + " could not be made ready: its template VM failed: "
                + ex.getMessage(), ex);
        }
    }

    private void release(final Live gone)
    {
        gone.template().close();
        kernels.release(gone.kernel());
    }

    private void releaseWhenDone(final CompletableFuture<Live> previous)
    {
        if (previous != null)
        {
            previous.thenAccept(this::release);
        }
    }

    /** The deployed functions, as stored; {@code ready} says which have their template made in this process. */
    @Override
    public List<FunctionInfo> list()
    {
        return infos(store, this::isReady);
    }

    @Override
    public Optional<FunctionInfo> get(final String name)
    {
        FunctionDeployment.checkName(name);
        final CompletableFuture<Live> current = live.get(name);
        if (current != null && current.isDone() && !current.isCompletedExceptionally())
        {
            // Made in this process: no need to read the store on every request.
            return Optional.of(info(current.join().stored(), true));
        }
        return store.load(name).map(stored -> info(stored, isReady(name)));
    }

    /**
     * The functions kept in {@code dir}, read from disk alone: no KVM, no VM host (for `function list` without a service;
     * none is {@code ready}, since this process made no template).
     */
    public static List<FunctionInfo> listStored(final Path dir)
    {
        return infos(new FunctionStore(dir), name -> false);
    }

    /** Every function in {@code store}, in name order, each ready as {@code ready} says. */
    private static List<FunctionInfo> infos(final FunctionStore store, final java.util.function.Predicate<String> ready)
    {
        final List<FunctionInfo> infos = new ArrayList<>();
        for (final String name : store.names())
        {
            store.load(name).ifPresent(stored -> infos.add(info(stored, ready.test(name))));
        }
        return infos;
    }

    /** Deletes a function's files from {@code dir} alone (a service that holds its template keeps it until it restarts). */
    public static boolean deleteStored(final Path dir, final String name)
    {
        FunctionDeployment.checkName(name);
        final boolean existed = new FunctionStore(dir).delete(name);
        if (existed)
        {
            LOG.info("function.deleted name={} dir={}", name, dir);
        }
        return existed;
    }

    private boolean isReady(final String name)
    {
        final CompletableFuture<Live> current = live.get(name);
        return current != null && current.isDone() && !current.isCompletedExceptionally();
    }

    /** Removes a function: its files, and its template once no invocation needs it; false if none of that name exists. */
    @Override
    public boolean delete(final String name)
    {
        FunctionDeployment.checkName(name);
        synchronized (deploying)
        {
            releaseWhenDone(live.remove(name));
            deployments.forget(name);
            final boolean existed = store.delete(name);
            if (existed)
            {
                LOG.info("function.deleted name={}", name);
            }
            return existed;
        }
    }

    /**
     * Runs one invocation in a fresh clone of the function's template (made first if this process has not made it yet).
     * Fails with {@link FunctionNotFoundException}, or {@link RefusedException} for a request over the payload limit
     * or too many invocations at once; otherwise completes with how it went, failures of the handler included.
     */
    @Override
    public CompletionStage<Invocation> invoke(final String name, final byte[] request)
    {
        return invoke(name, request, SpawnMode.CLONE);
    }

    /**
     * As {@link #invoke(String, byte[])}; with {@link SpawnMode#BOOT} the invocation runs in a VM that boots the function's
     * template spec instead of a clone of the template (the cold path, for comparison): its {@code clone} timing is then
     * the boot.
     */
    public CompletionStage<Invocation> invoke(final String name, final byte[] request, final SpawnMode mode)
    {
        final long start = System.nanoTime();
        FunctionDeployment.checkName(name);
        return live(name).thenCompose(function ->
        {
            if (request.length > function.stored().payloadLimit())
            {
                throw new RefusedException(Refusal.invalid("body", "the request is " + request.length + " bytes, over the function's payload limit of "
                    + function.stored().payloadLimit() + " bytes; send less or deploy it with a higher limit"));
            }
            if (inFlight.incrementAndGet() > settings.maxConcurrentInvocations())
            {
                inFlight.decrementAndGet();
                refused.incrementAndGet();
                throw new RefusedException(Refusal.tooMany(settings.maxConcurrentInvocations() + " invocations are running, the most this service"
                    + " runs at once (hatchery.functions.max-concurrent-invocations); retry later"));
            }
            invocations.incrementAndGet();
            final CompletionStage<Invocation> done;
            try
            {
                final VmSpec spec = mode == SpawnMode.CLONE ? function.spec() : function.spec().cloneTemplateSpec();
                done = spawner.apply(new SpawnRequest("function:" + name, spec, new FunctionCall(request, function.stored().timeout())))
                    .thenCompose(RunningVm::ended)
                    .thenApply(result -> invocation(name, result, start));
            }
            catch (final RuntimeException ex)
            {
                inFlight.decrementAndGet();
                throw ex;
            }
            return done.whenComplete((invocation, error) ->
            {
                inFlight.decrementAndGet();
                if (invocation != null)
                {
                    ended.get(invocation.status()).incrementAndGet();
                }
            });
        });
    }

    /** The function's live state: made now from the store when this process has none (or its last try failed). */
    private CompletableFuture<Live> live(final String name)
    {
        final CompletableFuture<Live> found = live.get(name);
        if (found != null && !found.isCompletedExceptionally())
        {
            return found;
        }
        final CompletableFuture<Live> mine = new CompletableFuture<>();
        final CompletableFuture<Live> raced = found == null ? live.putIfAbsent(name, mine) : (live.replace(name, found, mine) ? null : live.get(name));
        if (raced != null)
        {
            return raced;
        }
        preparing.execute(() ->
        {
            try
            {
                final FunctionStore.Stored stored = store.load(name).orElseThrow(() -> new FunctionNotFoundException(name));
                final byte[] handler = Files.readAllBytes(stored.handler());
                final Path initramfs = store.writeInitramfs(name, initramfs(handler));
                // Deleted or replaced meanwhile, this future was handed to releaseWhenDone, which releases what it makes.
                mine.complete(prepare(name, stored, spec(stored.memMib(), stored.payloadLimit(), initramfs)));
            }
            catch (final IOException ex)
            {
                live.remove(name, mine);
                mine.completeExceptionally(new UncheckedIOException("cannot read the function " + name + "'s handler: " + ex.getMessage(), ex));
            }
            catch (final RuntimeException ex)
            {
                live.remove(name, mine);
                mine.completeExceptionally(ex);
            }
        });
        return mine;
    }

    private static Invocation invocation(final String name, final VmResult result, final long start)
    {
        final long now = System.nanoTime();
        final Timeline timeline = result.timeline();
        final double clone = span(timeline, Phase.REQUEST, Phase.BOOT_COMPLETE);
        final double run = span(timeline, Phase.BOOT_COMPLETE, Phase.FUNCTION_REPLIED);
        final double collect = timeline.reached(Phase.FUNCTION_REPLIED) ? (now - timeline.nanos(Phase.FUNCTION_REPLIED)) / 1e6 : -1;
        final double total = (now - start) / 1e6;
        final Invocation.Timings timings = new Invocation.Timings(total, total - Math.max(0, clone) - Math.max(0, run) - Math.max(0, collect),
            clone, run, collect);
        final FunctionReply reply = result.functionReply();
        if (reply != null)
        {
            final Invocation.Status status = reply.succeeded() ? Invocation.Status.SUCCEEDED : Invocation.Status.HANDLER_FAILED;
            return new Invocation(name, result.vmId(), status, reply.violation() == null ? reply.stdout() : new byte[0], reply.stderr(),
                reply.describeEnd(), reply.exited() ? reply.exitCode() : null, timings);
        }
        final VmFailure failure = result.outcome().failure();
        final Invocation.Status status = failure instanceof VmFailure.FunctionTimeout ? Invocation.Status.TIMED_OUT : Invocation.Status.VM_FAILED;
        final String detail = failure != null ? failure.describe() : "the clone ended without a reply: " + result.outcome().reason();
        return new Invocation(name, result.vmId(), status, new byte[0], new byte[0], detail, null, timings);
    }

    /** Milliseconds between two phases, or -1 when either was not reached. */
    private static double span(final Timeline timeline, final Phase from, final Phase to)
    {
        return timeline.reached(from) && timeline.reached(to) ? (timeline.nanos(to) - timeline.nanos(from)) / 1e6 : -1;
    }

    /** Counters for /metrics: invocations started, refused for concurrency, ended by status; and invocations running. */
    public void render(final StringBuilder sb)
    {
        sb.append("# HELP hatchery_function_invocations_total Function invocations started.\n");
        sb.append("# TYPE hatchery_function_invocations_total counter\n");
        sb.append("hatchery_function_invocations_total ").append(invocations.get()).append('\n');
        sb.append("# HELP hatchery_function_invocations_refused_total Invocations refused because max-concurrent-invocations were running.\n");
        sb.append("# TYPE hatchery_function_invocations_refused_total counter\n");
        sb.append("hatchery_function_invocations_refused_total ").append(refused.get()).append('\n');
        sb.append("# HELP hatchery_function_invocations_ended_total Invocations ended, by status.\n");
        sb.append("# TYPE hatchery_function_invocations_ended_total counter\n");
        for (final Invocation.Status status : Invocation.Status.values())
        {
            sb.append("hatchery_function_invocations_ended_total{status=\"").append(status.name().toLowerCase(java.util.Locale.ROOT))
                .append("\"} ").append(ended.get(status).get()).append('\n');
        }
        sb.append("# HELP hatchery_function_invocations_running Invocations running now.\n");
        sb.append("# TYPE hatchery_function_invocations_running gauge\n");
        sb.append("hatchery_function_invocations_running ").append(inFlight.get()).append('\n');
    }

    private static FunctionInfo info(final FunctionStore.Stored stored, final boolean ready)
    {
        return new FunctionInfo(stored.name(), stored.handlerSha256(), stored.handlerBytes(), stored.memMib(), stored.timeout().toMillis(),
            stored.payloadLimit(), stored.deployedAt(), ready);
    }

    /** Releases every template and kernel held for functions; the stored functions stay for the next start. */
    @Override
    public void close()
    {
        preparing.shutdownNow();
        try
        {
            preparing.awaitTermination(5, TimeUnit.SECONDS);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
        for (final CompletableFuture<Live> held : live.values())
        {
            try
            {
                if (held.isDone() && !held.isCompletedExceptionally())
                {
                    release(held.join());
                }
            }
            catch (final CompletionException | IllegalStateException ex)
            {
                LOG.warn("function.release_failed error=\"{}\"", ex.toString());
            }
        }
        live.clear();
    }
}
