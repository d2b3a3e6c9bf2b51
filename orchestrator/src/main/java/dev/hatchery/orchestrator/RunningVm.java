package dev.hatchery.orchestrator;

import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

import akka.actor.typed.ActorRef;
import akka.actor.typed.Scheduler;
import akka.actor.typed.javadsl.AskPattern;

import dev.hatchery.config.VmSpec;
import dev.hatchery.vm.Phase;
import dev.hatchery.vm.Timeline;
import dev.hatchery.vm.VmActor;
import dev.hatchery.vm.VmAddress;
import dev.hatchery.vm.VmOutcome;
import dev.hatchery.vm.VmResult;
import dev.hatchery.vm.VmSnapshot;
import dev.hatchery.vm.VmState;

/**
 * One VM spawned on its own (not in a batch), as its caller sees it: thread-safe, and kept after the VM
 * ended so its outcome, console and timeline can still be read. It never touches the VM: it holds the
 * latest {@link VmSnapshot} the VM's actor published (when it launched, booted, ended) and asks the actor
 * for a fresh one on {@link #inspect()}.
 */
public final class RunningVm
{
    /** How long {@link #inspect()} waits for the actor before answering with the last published snapshot. */
    private static final Duration INSPECT_TIMEOUT = Duration.ofSeconds(2);

    private final String id;
    private final String kernelName;
    private final VmSpec spec;
    private final Instant createdAt;
    private final CompletableFuture<RunningVm> running = new CompletableFuture<>();
    private final CompletableFuture<RunningVm> booted = new CompletableFuture<>();
    private final CompletableFuture<VmResult> ended = new CompletableFuture<>();
    private volatile VmSnapshot snapshot;
    private volatile ActorRef<VmActor.Command> actor;
    private volatile Scheduler scheduler;

    RunningVm(final String id, final String kernelName, final VmSpec spec, final Instant createdAt)
    {
        this.id = id;
        this.kernelName = kernelName;
        this.spec = spec;
        this.createdAt = createdAt;
        this.snapshot = VmSnapshot.starting(id);
    }

    public String id()
    {
        return id;
    }

    public String kernelName()
    {
        return kernelName;
    }

    public VmSpec spec()
    {
        return spec;
    }

    public Instant createdAt()
    {
        return createdAt;
    }

    /** Completes once the VM runs; fails with {@link VmEndedException} if it ended before it ran (e.g. could not be built). */
    public CompletionStage<RunningVm> running()
    {
        return running;
    }

    /** Completes when the guest signals boot-complete, or when the VM ends without booting (then check {@link #outcome()}). */
    public CompletionStage<RunningVm> bootedOrEnded()
    {
        return booted;
    }

    public CompletionStage<VmResult> ended()
    {
        return ended;
    }

    /** The latest snapshot the VM's actor published; its console is as of that moment (see {@link #inspect()}). */
    /** About how many bytes keeping this VM costs: its console text (Latin-1 strings take a byte a character) and the rest. */
    long retainedBytes()
    {
        final String console = snapshot.console();
        return 1024 + (console == null ? 0 : console.length());
    }

    public VmSnapshot snapshot()
    {
        return snapshot;
    }

    /**
     * A snapshot taken now by the VM's actor (current console and timeline); the published one when the VM
     * has not launched or has ended, or when the actor does not answer in time.
     */
    public CompletionStage<VmSnapshot> inspect()
    {
        final ActorRef<VmActor.Command> current = actor;
        if (current == null || ended.isDone())
        {
            return CompletableFuture.completedFuture(snapshot);
        }
        return AskPattern.<VmActor.Command, VmSnapshot>ask(current, VmActor.Inspect::new, INSPECT_TIMEOUT, scheduler)
            .exceptionally(error -> snapshot)
            .thenApply(fresh -> ended.isDone() ? snapshot : fresh);
    }

    public VmState state()
    {
        return snapshot.state();
    }

    /** How it ended, once it has. */
    public Optional<VmOutcome> outcome()
    {
        return snapshot.optionalOutcome();
    }

    /** The guest's address when it has networking. */
    public Optional<VmAddress> address()
    {
        return snapshot.optionalAddress();
    }

    /** Microseconds from the request to each phase reached by the latest snapshot, in phase order, keyed by {@link Phase#jsonKey()}. */
    public Map<String, Long> timelineMicros()
    {
        return timelineMicros(snapshot.timeline());
    }

    /** The timeline as the API shows it: microseconds from the request, keyed by {@link Phase#jsonKey()}. */
    public static Map<String, Long> timelineMicros(final Timeline timeline)
    {
        final Map<String, Long> micros = new LinkedHashMap<>();
        for (final Phase phase : Phase.values())
        {
            final long since = timeline.sinceRequest(phase);
            if (since >= 0)
            {
                micros.put(phase.jsonKey(), since / 1000);
            }
        }
        return micros;
    }

    /** Spawn→boot in microseconds, or -1 when it has not booted. */
    public long bootMicros()
    {
        final long since = snapshot.timeline().sinceRequest(Phase.BOOT_COMPLETE);
        return since < 0 ? -1 : since / 1000;
    }

    /** The supervisor spawned the VM's actor: {@link #inspect()} asks it from now on. */
    void attach(final ActorRef<VmActor.Command> vmActor, final Scheduler actorScheduler)
    {
        this.scheduler = actorScheduler;
        this.actor = vmActor;
    }

    void launched(final VmSnapshot launched)
    {
        if (!ended.isDone())
        {
            snapshot = launched;
        }
        running.complete(this);
    }

    void booted(final VmSnapshot bootedSnapshot)
    {
        if (!ended.isDone())
        {
            snapshot = bootedSnapshot;
        }
        booted.complete(this);
    }

    void end(final VmResult result)
    {
        snapshot = VmSnapshot.ended(result, snapshot.address());
        ended.complete(result);
        booted.complete(this);
        running.completeExceptionally(new VmEndedException(id, result.outcome()));
    }
}
