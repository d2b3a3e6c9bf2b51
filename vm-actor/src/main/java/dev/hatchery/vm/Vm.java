package dev.hatchery.vm;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import dev.hatchery.config.VmSpec;
import dev.hatchery.devices.BootCompleteDevice;
import dev.hatchery.devices.BootMilestonePort;
import dev.hatchery.devices.Bus;
import dev.hatchery.devices.CloneIdentityDevice;
import dev.hatchery.devices.ConsoleLog;
import dev.hatchery.devices.FunctionMailboxDevice;
import dev.hatchery.devices.FunctionReply;
import dev.hatchery.devices.I8042;
import dev.hatchery.devices.Serial8250;
import dev.hatchery.kernel.PreparedKernel;
import dev.hatchery.kvm.GuestMemory;
import dev.hatchery.kvm.Kvm;
import dev.hatchery.kvm.KvmVcpu;
import dev.hatchery.kvm.ExitReason;
import dev.hatchery.kvm.KvmRun;
import dev.hatchery.kvm.KvmVm;
import dev.hatchery.kvm.VcpuKick;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One microVM: its shell (guest memory and KVM VM), vCPU descriptor, devices, and the vCPU thread it borrows
 * from the host's {@link VcpuThreads} while it runs. It owns all of them and releases each exactly once:
 * when the VM ends its result is reported first, then the release runs on the host's teardown executor,
 * off the spawn path; or in {@link #close()} if it never started. Ends with exactly one {@link VmOutcome}.
 * Outside this module a VM is reached only through its {@link VmActor}, which hands out {@link VmSnapshot}s.
 */
final class Vm implements VmControl, AutoCloseable
{
    private static final Logger LOG = LoggerFactory.getLogger(Vm.class);

    private final String id;
    private final VmSpec spec;
    private final Timeline timeline;
    private final VmShell shell;
    private final SpawnPath spawnPath;
    private final KvmVcpu vcpu;
    private final ConsoleLog console;
    private final VcpuLoop loop;
    private final BootMilestonePort milestones;
    /** Null without network; else the tap lease (given back last) and the device with its event loop. */
    private final TapLease lease;
    private final VmNetwork network;
    private final AtomicReference<StopCause> stopCause = new AtomicReference<>();
    private final CompletableFuture<Long> bootComplete = new CompletableFuture<>();
    private final CompletableFuture<VmResult> result = new CompletableFuture<>();
    private final CompletableFuture<Void> released = new CompletableFuture<>();
    /** Guards the vCPU thread's identity and the kvm_run page against a kick racing the VM's end. */
    private final Object kickLock = new Object();
    private long vcpuPthread;
    private boolean vcpuAlive = true;
    private volatile boolean resetRequested;
    /** Set once start() handed the vCPU to a thread: from then on that thread ends the VM, not close(). */
    private boolean started;
    private Executor teardown;
    private GuestMemoryMeter meter;
    private ShellRecycler recycler;
    /** How the VM ended, set before its release: it decides whether the shell may be recycled. */
    private volatile VmOutcome endedAs;
    private ScheduledFuture<?> watchdog;
    private boolean releasing;
    private final BuildFaults faults;
    private final Serial8250 serial;
    private final I8042 i8042;
    /** Null unless this VM is a clone template: then it is captured when its guest reaches the ready point. */
    private final CloneCapture capture;
    private volatile boolean captureRequested;
    /** Null unless this VM is a function's clone serving one invocation. */
    private final FunctionCall call;
    private volatile boolean functionReplied;

    /**
     * What part a VM plays in cloning, and what that needs: none, the template to capture, or a clone to restore (with,
     * for a function's clone, the invocation it serves).
     */
    record CloneRole(CloneCapture capture, CloneImage restoredFrom, CloneIdentityDevice.Identity identity, FunctionCall call)
    {
        static final CloneRole NONE = new CloneRole(null, null, null, null);

        static CloneRole template(final CloneCapture capture)
        {
            return new CloneRole(capture, null, null, null);
        }

        static CloneRole clone(final CloneImage image, final CloneIdentityDevice.Identity identity, final FunctionCall call)
        {
            return new CloneRole(null, image, identity, call);
        }

        /**
         * A function's VM that boots instead of being cloned (the cold path, measured against clones): it runs the
         * template's spec, whose READY store is then ignored, and is told {@code identity} (the time, fresh entropy) as
         * a clone would be before it serves {@code call}.
         */
        static CloneRole coldFunction(final CloneIdentityDevice.Identity identity, final FunctionCall call)
        {
            return new CloneRole(null, null, identity, call);
        }
    }

    private Vm(final String id, final VmSpec spec, final Timeline timeline, final VmShell shell, final SpawnPath spawnPath,
        final TapLease lease, final NetEventLoop sharedLoop, final boolean offloads, final BuildFaults faults, final CloneRole role)
    {
        this.faults = faults;
        this.id = id;
        this.spec = spec;
        this.timeline = timeline;
        this.shell = shell;
        this.spawnPath = spawnPath;
        this.vcpu = shell.vcpu();
        final GuestMemory memory = shell.memory();
        final KvmVm kvmVm = shell.kvmVm();
        this.console = new ConsoleLog(Math.max(1, spec.consoleBytes()));

        final Bus portIo = Bus.portIo();
        final Bus mmio = Bus.mmio();
        this.serial = new Serial8250(console, () ->
        {
            // The 8250 sits on an edge-triggered ISA line: a pulse delivers one interrupt.
            kvmVm.irqLine(Serial8250.IRQ, 1);
            kvmVm.irqLine(Serial8250.IRQ, 0);
        });
        this.i8042 = new I8042(() -> resetRequested = true);
        this.capture = role.capture();
        final CloneIdentityDevice identity;
        if (role.restoredFrom() != null)
        {
            serial.restore(role.restoredFrom().serial());
            i8042.restore(role.restoredFrom().i8042());
            identity = CloneIdentityDevice.clone(role.identity());
        }
        else if (role.identity() != null)
        {
            identity = CloneIdentityDevice.clone(role.identity());
        }
        else
        {
            identity = capture != null ? CloneIdentityDevice.template(() -> captureRequested = true) : CloneIdentityDevice.none();
        }
        portIo.register(Serial8250.COM1_PORT, Serial8250.PORT_COUNT, serial);
        portIo.register(I8042.BASE_PORT, I8042.PORT_COUNT, i8042);
        this.milestones = new BootMilestonePort(this::onMilestone);
        portIo.register(BootMilestonePort.PORT, BootMilestonePort.LENGTH, milestones);
        // One 4 KiB window: the boot-complete signal in its lower half, the clone identity registers in its third quarter,
        // a function's mailbox register in its last.
        mmio.register(spec.bootDeviceAddress(), CloneIdentityDevice.OFFSET_IN_BOOT_WINDOW, new BootCompleteDevice(this::onBootComplete));
        mmio.register(spec.bootDeviceAddress() + CloneIdentityDevice.OFFSET_IN_BOOT_WINDOW, CloneIdentityDevice.LENGTH, identity);
        this.call = role.call();
        if (call != null)
        {
            if (spec.mailbox() == null)
            {
                throw new IllegalArgumentException("a function call needs a spec with a function mailbox (payload limit): vm=" + id);
            }
            FunctionMailboxDevice.writeRequest(memory.view(spec.mailbox().address(), (int)spec.mailbox().regionBytes()), spec.mailbox(),
                call.request());
            mmio.register(spec.bootDeviceAddress() + FunctionMailboxDevice.OFFSET_IN_BOOT_WINDOW, FunctionMailboxDevice.LENGTH,
                new FunctionMailboxDevice(this::onFunctionReplied));
        }
        this.lease = lease;
        this.network = lease == null ? null : VmNetwork.open(id, spec, lease, memory, kvmVm, mmio, sharedLoop, offloads,
            role.restoredFrom() == null ? null : role.restoredFrom().network());
        try
        {
            faults.at(BuildStep.DEVICES);
            this.loop = new VcpuLoop(this, vcpu, portIo, mmio, spec.tripleFaultIsStop());
        }
        catch (final RuntimeException | Error ex)
        {
            // The network is this VM's own (eventfds, a loop registration, maybe a thread): build's catch knows only the
            // shell and the lease, so it is closed here.
            closeQuietly(network);
            throw ex;
        }
    }

    /**
     * Builds the machine: memory with the boot image laid out, VM-wide KVM setup, devices, and vCPU 0 in
     * its boot state. With a {@code readyShell} (made ahead or recycled, see {@link ShellPool}) memory, VM and
     * vCPU exist already with the kernel laid in; without one every step runs here.
     * Anything opened is closed again if a later step fails, the shell included. A networked VM registers
     * with {@code sharedLoop}, or starts a loop of its own when that is null.
     */
    static Vm build(final String id, final Kvm kvm, final BootCpu bootCpu, final PreparedKernel kernel, final VmSpec spec,
        final Timeline timeline, final TapLease lease, final NetEventLoop sharedLoop, final boolean offloads, final VmShell readyShell)
    {
        return build(id, kvm, bootCpu, kernel, spec, timeline, lease, sharedLoop, offloads, readyShell, BuildFaults.NONE);
    }

    /** As above, calling {@code faults} at each {@link BuildStep} (tests fail steps on purpose through it). */
    static Vm build(final String id, final Kvm kvm, final BootCpu bootCpu, final PreparedKernel kernel, final VmSpec spec,
        final Timeline timeline, final TapLease lease, final NetEventLoop sharedLoop, final boolean offloads, final VmShell readyShell,
        final BuildFaults faults)
    {
        return build(id, kvm, bootCpu, kernel, spec, timeline, lease, sharedLoop, offloads, readyShell, faults, CloneRole.NONE);
    }

    /** As above; with a {@code capture}, the VM is a clone template, captured when its guest reaches the ready point. */
    static Vm build(final String id, final Kvm kvm, final BootCpu bootCpu, final PreparedKernel kernel, final VmSpec spec,
        final Timeline timeline, final TapLease lease, final NetEventLoop sharedLoop, final boolean offloads, final VmShell readyShell,
        final BuildFaults faults, final CloneCapture capture)
    {
        return build(id, kvm, bootCpu, kernel, spec, timeline, lease, sharedLoop, offloads, readyShell, faults,
            capture == null ? CloneRole.NONE : CloneRole.template(capture));
    }

    /** As above, in the given role: none, a clone template ({@link CloneRole#template}) or a cold function VM. */
    static Vm build(final String id, final Kvm kvm, final BootCpu bootCpu, final PreparedKernel kernel, final VmSpec spec,
        final Timeline timeline, final TapLease lease, final NetEventLoop sharedLoop, final boolean offloads, final VmShell readyShell,
        final BuildFaults faults, final CloneRole role)
    {
        if (spec.network() != (lease != null))
        {
            closeQuietly(lease);
            throw new IllegalArgumentException("a networked VM needs a tap lease, and only a networked VM takes one: vm=" + id
                + " network=" + spec.network() + " lease=" + lease);
        }
        if (!kernel.fits(spec))
        {
            closeQuietly(readyShell);
            closeQuietly(lease);
            throw new IllegalArgumentException("prepared kernel does not match the VM spec (memory size or command line differ): vm=" + id);
        }
        GuestMemory memory = null;
        VmShell shell = readyShell;
        try
        {
            memory = shell != null ? shell.memory() : kernel.allocate(spec.hugePages());
            faults.at(BuildStep.MEMORY);
            timeline.mark(Phase.MEMORY_READY);
            if (shell == null)
            {
                // A shell has the kernel laid in already: the pool hands out shells of this spec's and kernel's shape only.
                kernel.load(memory, spec.memoryMode());
                faults.at(BuildStep.KERNEL);
            }
            if (lease != null)
            {
                // Per VM: the template holds the spec's command line; this VM's addresses go into its own copy.
                kernel.writeCmdline(memory, VmNetwork.cmdline(spec.cmdline(), spec.virtioNetAddress(), lease));
                faults.at(BuildStep.COMMAND_LINE);
            }
            timeline.mark(Phase.KERNEL_LOADED);

            if (shell == null)
            {
                final GuestMemory fresh = memory;
                memory = null;
                shell = VmShell.over(kvm, VmShell.Shape.of(spec, kernel), fresh);
            }
            faults.at(BuildStep.VM);
            timeline.mark(Phase.VM_CREATED);

            if (shell.vcpu() == null)
            {
                shell.armVcpu(bootCpu);
            }
            faults.at(BuildStep.VCPU);
            timeline.mark(Phase.VCPU_READY);

            final SpawnPath path = readyShell == null ? SpawnPath.DIRECT : readyShell.recycled() ? SpawnPath.RECYCLED : SpawnPath.SHELL;
            return new Vm(id, spec, timeline, shell, path, lease, sharedLoop, offloads, faults, role);
        }
        catch (final RuntimeException | Error ex)
        {
            if (shell != null)
            {
                closeQuietly(shell);
            }
            else
            {
                closeQuietly(memory);
            }
            closeQuietly(lease);
            throw ex;
        }
    }

    /**
     * Builds a clone of {@code image}: a new VM with vCPU 0 whose RAM is a copy-on-write mapping of the template's
     * memory, and every state of the template restored ({@link VmShell#restoreClone}), devices as the template left
     * them, and the identity device telling the guest {@code identity}. Only {@code spec} equal to the template's is accepted.
     * Anything opened is closed again if a later step fails.
     */
    static Vm buildClone(final String id, final Kvm kvm, final BootCpu bootCpu, final CloneImage image, final VmSpec spec,
        final Timeline timeline, final CloneIdentityDevice.Identity identity, final BuildFaults faults)
    {
        return buildClone(id, kvm, bootCpu, image, spec, timeline, identity, null, null, false, null, faults, null);
    }

    /**
     * As above, for a networked clone with its own tap {@code lease} (closed here if the build fails), loop and offloads
     * as for any VM, and in {@code readyShell} when one was made ahead (the template kernel's shape), else on the direct path.
     */
    static Vm buildClone(final String id, final Kvm kvm, final BootCpu bootCpu, final CloneImage image, final VmSpec spec,
        final Timeline timeline, final CloneIdentityDevice.Identity identity, final TapLease lease, final NetEventLoop sharedLoop,
        final boolean offloads, final VmShell readyShell, final BuildFaults faults, final FunctionCall call)
    {
        try
        {
            image.checkFits(id, spec);
            if (spec.network() != (lease != null))
            {
                throw new IllegalArgumentException("a networked clone needs a tap lease, and only a networked clone takes one: vm=" + id
                    + " network=" + spec.network() + " lease=" + lease);
            }
        }
        catch (final RuntimeException ex)
        {
            closeQuietly(readyShell);
            closeQuietly(lease);
            throw ex;
        }
        GuestMemory memory = null;
        VmShell shell = readyShell;
        try
        {
            if (shell == null)
            {
                memory = GuestMemory.anonymous(spec.memBytes(), spec.hugePages());
            }
            faults.at(BuildStep.MEMORY);
            timeline.mark(Phase.MEMORY_READY);
            timeline.mark(Phase.KERNEL_LOADED);
            if (shell == null)
            {
                final GuestMemory fresh = memory;
                memory = null;
                shell = VmShell.over(kvm, VmShell.Shape.of(spec, image.kernel()), fresh);
            }
            faults.at(BuildStep.VM);
            timeline.mark(Phase.VM_CREATED);
            shell.restoreClone(bootCpu, image);
            faults.at(BuildStep.VCPU);
            timeline.mark(Phase.VCPU_READY);
            return new Vm(id, spec, timeline, shell, SpawnPath.CLONE, lease, sharedLoop, offloads, faults, CloneRole.clone(image, identity, call));
        }
        catch (final RuntimeException | Error ex)
        {
            closeQuietly(shell != null ? shell : memory);
            closeQuietly(lease);
            throw ex;
        }
    }

    /**
     * Hands the vCPU to one of the host's threads and arms the boot-timeout watchdog; the release after the VM
     * ends runs on {@code teardownExecutor}, where {@code memoryMeter} counts what the guest wrote first and
     * {@code shellRecycler} may take the shell back for another VM.
     */
    void start(final ScheduledExecutorService timers, final VcpuThreads threads, final Executor teardownExecutor,
        final GuestMemoryMeter memoryMeter, final ShellRecycler shellRecycler)
    {
        teardown = teardownExecutor;
        meter = memoryMeter;
        recycler = shellRecycler;
        // A function's clone has its call's timeout, from start to reply; every other VM its boot timeout, to boot-complete.
        watchdog = call != null
            ? timers.schedule(() -> requestStop(StopCause.FUNCTION_TIMEOUT), call.timeout().toMillis(), TimeUnit.MILLISECONDS)
            : timers.schedule(() -> requestStop(StopCause.BOOT_TIMEOUT), spec.bootTimeout().toMillis(), TimeUnit.MILLISECONDS);
        try
        {
            faults.at(BuildStep.START);
            threads.execute(this::runVcpu);
        }
        catch (final RuntimeException | Error ex)
        {
            watchdog.cancel(false);
            throw ex;
        }
        // Only a started vCPU ends the VM; until then close() does it.
        synchronized (kickLock)
        {
            started = true;
        }
    }

    public String id()
    {
        return id;
    }

    public VmSpec spec()
    {
        return spec;
    }

    public Timeline timeline()
    {
        return timeline;
    }

    /** Completes with the boot-complete timestamp (System.nanoTime) when the guest signals. */
    public CompletableFuture<Long> bootComplete()
    {
        return bootComplete;
    }

    /** Completes once the VM has ended (its vCPU returned), before what it held is released. */
    @Override
    public CompletableFuture<VmResult> result()
    {
        return result;
    }

    /** Completes once everything the VM held is released. */
    @Override
    public CompletableFuture<Void> released()
    {
        return released;
    }

    @Override
    public SpawnPath spawnPath()
    {
        return spawnPath;
    }

    public boolean booted()
    {
        return bootComplete.isDone();
    }

    @Override
    public VmAddress address()
    {
        return lease == null ? null : VmAddress.of(lease, network == null ? null : network.lostReason());
    }

    /** The guest's RAM, for tests that check what the guest sees and writes; valid until the VM is released. */
    GuestMemory memory()
    {
        return shell.memory();
    }

    /** The tap this VM holds, or null without network. */
    public TapLease tapLease()
    {
        return lease;
    }

    /** The VM's network device and its event-loop registration, or null without network (tests). */
    VmNetwork network()
    {
        return network;
    }

    public String console()
    {
        return console.text();
    }

    /** Asks the VM to stop, even while its vCPU is blocked inside KVM_RUN; returns at once. */
    public void stop()
    {
        requestStop(StopCause.REQUESTED);
    }

    private void requestStop(final StopCause cause)
    {
        if (!stopCause.compareAndSet(null, cause))
        {
            return;
        }
        synchronized (kickLock)
        {
            if (vcpuAlive)
            {
                // immediate_exit covers a vCPU between its stop check and KVM_RUN; the signal one inside it.
                vcpu.kvmRun().immediateExit(true);
                if (vcpuPthread != 0)
                {
                    VcpuKick.kick(vcpuPthread);
                }
            }
        }
    }

    VmOutcome pendingStop()
    {
        final StopCause cause = stopCause.get();
        return cause == null ? null
            : cause.outcome(booted(), cause == StopCause.FUNCTION_TIMEOUT ? call.timeout().toMillis() : spec.bootTimeout().toMillis());
    }

    /** True once a function's clone wrote DONE: the vCPU loop then ends the VM, and the reply is read at its end. */
    boolean functionReplied()
    {
        return functionReplied;
    }

    private void onFunctionReplied()
    {
        timeline.mark(Phase.FUNCTION_REPLIED);
        functionReplied = true;
    }

    boolean resetRequested()
    {
        return resetRequested;
    }

    /** True once a template's guest wrote READY: the vCPU loop then captures the VM instead of running it on. */
    boolean captureRequested()
    {
        return captureRequested;
    }

    /**
     * On the vCPU thread, right after the exit of the guest's READY store: completes that store without running the
     * guest further (KVM_RUN with immediate_exit: KVM finishes a pending MMIO exit before it looks at the flag, and
     * only then is the vCPU's state consistent to read), captures the VM into a {@link CloneImage}, and ends the VM.
     */
    VmOutcome captureTemplate()
    {
        try
        {
            final KvmRun run = vcpu.kvmRun();
            run.immediateExit(true);
            final int exit = vcpu.run();
            run.immediateExit(false);
            if (exit != ExitReason.INTR)
            {
                throw new IllegalStateException("completing the ready store ran the guest on to exit " + ExitReason.name(exit));
            }
            capture.take(shell, serial.state(), i8042.state(), network, console.text());
            return VmOutcome.booted("captured as clone template");
        }
        catch (final RuntimeException ex)
        {
            capture.fail(ex);
            return VmOutcome.of(new VmFailure.HostError("clone template capture failed", String.valueOf(ex.getMessage())));
        }
    }

    private void onBootComplete(final long nanos)
    {
        timeline.mark(Phase.BOOT_COMPLETE, nanos);
        bootComplete.complete(nanos);
        final ScheduledFuture<?> timer = watchdog;
        if (timer != null && call == null)
        {
            timer.cancel(false);
        }
        LOG.debug("vm.boot_complete vm={} boot_us={}", id, (nanos - timeline.nanos(Phase.REQUEST)) / 1000);
    }

    private void onMilestone(final BootMilestonePort.Milestone milestone, final long nanos)
    {
        final Phase phase = Phase.of(milestone);
        timeline.mark(phase, nanos);
        LOG.debug("vm.milestone vm={} phase={} since_request_us={}", id, phase.jsonKey(), (nanos - timeline.nanos(Phase.REQUEST)) / 1000);
    }

    /** The vCPU thread's work for this VM; {@code thread} is null when the thread could not be set up. */
    private void runVcpu(final VcpuThreads.VcpuThread thread)
    {
        VmOutcome outcome;
        if (thread == null)
        {
            outcome = VmOutcome.of(new VmFailure.HostError("vCPU thread could not block the kick signal", "see the vcpu_thread log"));
        }
        else
        {
            synchronized (kickLock)
            {
                vcpuPthread = thread.pthread();
            }
            try
            {
                vcpu.setSignalMask(thread.runMask());
                timeline.mark(Phase.FIRST_RUN);
                outcome = loop.run();
            }
            catch (final RuntimeException | Error ex)
            {
                outcome = VmOutcome.of(new VmFailure.HostError("vCPU thread error: " + ex.getClass().getName(), String.valueOf(ex.getMessage())));
            }
        }
        synchronized (kickLock)
        {
            vcpuAlive = false;
            vcpuPthread = 0;
        }
        if (thread != null)
        {
            thread.announceReturn();
        }
        finish(outcome);
    }

    /** Reports the end first, then releases what the VM held on the teardown executor (or here if it refuses). */
    private void finish(final VmOutcome outcome)
    {
        final ScheduledFuture<?> timer = watchdog;
        if (timer != null)
        {
            timer.cancel(false);
        }
        timeline.mark(Phase.STOPPED);
        LOG.debug("vm.stopped vm={} outcome={} reason=\"{}\" exits={} console_bytes={} path={}",
            id, outcome.kind(), outcome.reason(), loop.exits(), console.totalBytes(), spawnPath.jsonKey());
        if (milestones.ignoredWrites() > 0)
        {
            LOG.debug("vm.milestones_ignored vm={} writes={} last_code={}", id, milestones.ignoredWrites(), milestones.lastIgnoredCode());
        }
        endedAs = outcome;
        if (capture != null)
        {
            // A template that ended before (or without) its capture: whoever waits for the image learns why.
            capture.ended(outcome, console.text());
        }
        result.complete(new VmResult(id, outcome, timeline, console.text(), loop.exits(), spawnPath, readReply()));
        try
        {
            teardown.execute(this::release);
        }
        catch (final RuntimeException ex)
        {
            release();
        }
    }

    /**
     * A function clone's reply, read from its mailbox now that its vCPU has returned (the guest can no longer change it),
     * or null when the VM runs no function or ended before its handler replied.
     */
    private FunctionReply readReply()
    {
        if (call == null || !functionReplied)
        {
            return null;
        }
        final dev.hatchery.config.FunctionMailbox mailbox = spec.mailbox();
        return FunctionMailboxDevice.readReply(shell.memory().view(mailbox.address(), (int)mailbox.regionBytes()), mailbox);
    }

    /**
     * Closes the network (its event loop touches guest memory) and gives the tap back, then hands the shell to the
     * recycler or, when it does not take it, destroys vCPU, VM and memory (the shell, in the order KVM needs). The tap
     * goes back first because nothing of this VM uses it any more once the network is closed, and destroying a VM is
     * the slow part.
     */
    private void release()
    {
        synchronized (this)
        {
            if (releasing)
            {
                return;
            }
            releasing = true;
        }
        closeQuietly(network);
        closeQuietly(lease);
        if (meter != null)
        {
            meter.measure(shell.memory());
        }
        final VmOutcome outcome = endedAs;
        if (recycler == null || outcome == null || !recycler.recycle(shell, outcome, network != null))
        {
            closeQuietly(shell);
        }
        released.complete(null);
    }

    /**
     * Stops the VM if it runs, waits until everything it held is released. Blocks: for tests and tools that own
     * a VM directly; a {@link VmActor} never calls it (it stops the VM and waits for {@link #result()} with a
     * bound instead).
     */
    @Override
    public void close()
    {
        final boolean running;
        synchronized (kickLock)
        {
            running = started;
            if (!running)
            {
                vcpuAlive = false;
            }
        }
        if (!running)
        {
            release();
            result.complete(new VmResult(id, VmOutcome.of(new VmFailure.Cancelled("closed before start")), timeline, console.text(), 0,
                spawnPath));
            return;
        }
        stop();
        boolean interrupted = false;
        while (true)
        {
            try
            {
                released.get();
                break;
            }
            catch (final InterruptedException ex)
            {
                interrupted = true;
            }
            catch (final java.util.concurrent.ExecutionException ex)
            {
                break;
            }
        }
        if (interrupted)
        {
            Thread.currentThread().interrupt();
        }
    }

    private static void closeQuietly(final AutoCloseable closeable)
    {
        if (closeable != null)
        {
            try
            {
                closeable.close();
            }
            catch (final Exception ex)
            {
                LOG.warn("vm.release_failed resource={} error=\"{}\"", closeable.getClass().getSimpleName(), ex.toString());
            }
        }
    }
}
