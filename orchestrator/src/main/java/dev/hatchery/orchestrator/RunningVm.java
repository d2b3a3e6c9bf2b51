package dev.hatchery.orchestrator;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

import dev.hatchery.config.VmSpec;
import dev.hatchery.vm.Phase;
import dev.hatchery.vm.Timeline;
import dev.hatchery.vm.Vm;
import dev.hatchery.vm.VmOutcome;
import dev.hatchery.vm.VmResult;

/**
 * One VM spawned on its own (not in a batch), as its caller sees it: thread-safe, and kept after the
 * VM ended so its outcome, console and timeline can still be read. The VM itself stays owned by its
 * actor; this view only reads what the VM publishes safely (console, timeline, boot and end).
 */
public final class RunningVm
{
    /** Where the VM is in its life. */
    public enum State
    {
        STARTING,
        RUNNING,
        BOOTED,
        ENDED
    }

    private final String id;
    private final String kernelName;
    private final VmSpec spec;
    private final Instant createdAt;
    private final CompletableFuture<RunningVm> running = new CompletableFuture<>();
    private final CompletableFuture<RunningVm> booted = new CompletableFuture<>();
    private final CompletableFuture<VmResult> ended = new CompletableFuture<>();
    private volatile Vm vm;
    private volatile VmAddress address;
    private volatile Timeline timeline = new Timeline();

    RunningVm(final String id, final String kernelName, final VmSpec spec, final Instant createdAt)
    {
        this.id = id;
        this.kernelName = kernelName;
        this.spec = spec;
        this.createdAt = createdAt;
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

    public State state()
    {
        if (ended.isDone())
        {
            return State.ENDED;
        }
        if (vm == null)
        {
            return State.STARTING;
        }
        return vm.booted() ? State.BOOTED : State.RUNNING;
    }

    /** How it ended, once it has. */
    public Optional<VmOutcome> outcome()
    {
        return ended.isDone() ? Optional.of(ended.join().outcome()) : Optional.empty();
    }

    /** The guest's address when it has networking. */
    public Optional<VmAddress> address()
    {
        return Optional.ofNullable(address);
    }

    /** What the guest wrote to its serial console so far (the tail, bounded by the spec's console size). */
    public String console()
    {
        final Vm current = vm;
        if (ended.isDone())
        {
            return ended.join().console();
        }
        return current == null ? "" : current.console();
    }

    /** Microseconds from the request to each phase reached so far, in phase order. */
    public Map<String, Long> timelineMicros()
    {
        final Timeline current = timeline;
        final Map<String, Long> micros = new LinkedHashMap<>();
        for (final Phase phase : Phase.values())
        {
            final long since = current.sinceRequest(phase);
            if (since >= 0)
            {
                micros.put(phase.name().toLowerCase(java.util.Locale.ROOT), since / 1000);
            }
        }
        return micros;
    }

    /** Spawn→boot in microseconds, or -1 when it has not booted. */
    public long bootMicros()
    {
        final long since = timeline.sinceRequest(Phase.BOOT_COMPLETE);
        return since < 0 ? -1 : since / 1000;
    }

    void launched(final Vm launched)
    {
        this.timeline = launched.timeline();
        this.address = launched.tapLease() == null ? null : VmAddress.of(launched.tapLease());
        this.vm = launched;
        launched.bootComplete().thenRun(() -> booted.complete(this));
        running.complete(this);
    }

    void end(final VmResult result)
    {
        timeline = result.timeline();
        ended.complete(result);
        booted.complete(this);
        running.completeExceptionally(new VmEndedException(id, result.outcome()));
    }
}
