package dev.hatchery.vm;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import dev.hatchery.config.VmSpec;
import dev.hatchery.devices.BootCompleteDevice;
import dev.hatchery.devices.BootMilestonePort;
import dev.hatchery.devices.Bus;
import dev.hatchery.devices.ConsoleLog;
import dev.hatchery.devices.I8042;
import dev.hatchery.devices.Serial8250;
import dev.hatchery.kernel.BootLayout;
import dev.hatchery.kernel.PreparedKernel;
import dev.hatchery.kvm.GuestMemory;
import dev.hatchery.kvm.Kvm;
import dev.hatchery.kvm.KvmVcpu;
import dev.hatchery.kvm.KvmVm;
import dev.hatchery.kvm.VcpuKick;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One microVM: its guest memory, KVM VM and vCPU descriptors, devices and vCPU thread. It owns all of
 * them and releases each exactly once, on the vCPU thread when the VM ends, or in {@link #close()} if
 * it never started. Ends with exactly one {@link VmOutcome}. Outside this module a VM is reached only
 * through its {@link VmActor}, which hands out {@link VmSnapshot}s.
 */
final class Vm implements VmControl, AutoCloseable
{
    private static final Logger LOG = LoggerFactory.getLogger(Vm.class);

    private final String id;
    private final VmSpec spec;
    private final Timeline timeline;
    private final GuestMemory memory;
    private final KvmVm kvmVm;
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
    /** Guards the vCPU thread's identity and the kvm_run page against a kick racing the VM's end. */
    private final Object kickLock = new Object();
    private long vcpuPthread;
    private boolean vcpuAlive = true;
    private volatile boolean resetRequested;
    private Thread thread;
    private ScheduledFuture<?> watchdog;
    private boolean released;

    private Vm(final String id, final VmSpec spec, final Timeline timeline, final GuestMemory memory, final KvmVm kvmVm,
        final KvmVcpu vcpu, final TapLease lease, final NetEventLoop sharedLoop, final boolean offloads)
    {
        this.id = id;
        this.spec = spec;
        this.timeline = timeline;
        this.memory = memory;
        this.kvmVm = kvmVm;
        this.vcpu = vcpu;
        this.console = new ConsoleLog(Math.max(1, spec.consoleBytes()));

        final Bus portIo = Bus.portIo();
        final Bus mmio = Bus.mmio();
        portIo.register(Serial8250.COM1_PORT, Serial8250.PORT_COUNT, new Serial8250(console, () ->
        {
            // The 8250 sits on an edge-triggered ISA line: a pulse delivers one interrupt.
            kvmVm.irqLine(Serial8250.IRQ, 1);
            kvmVm.irqLine(Serial8250.IRQ, 0);
        }));
        portIo.register(I8042.BASE_PORT, I8042.PORT_COUNT, new I8042(() -> resetRequested = true));
        this.milestones = new BootMilestonePort(this::onMilestone);
        portIo.register(BootMilestonePort.PORT, BootMilestonePort.LENGTH, milestones);
        mmio.register(spec.bootDeviceAddress(), BootCompleteDevice.LENGTH, new BootCompleteDevice(this::onBootComplete));
        this.lease = lease;
        this.network = lease == null ? null : VmNetwork.open(id, spec, lease, memory, kvmVm, mmio, sharedLoop, offloads);
        this.loop = new VcpuLoop(this, vcpu, portIo, mmio, spec.tripleFaultIsStop());
    }

    /**
     * Builds the machine: memory with the boot image laid out, VM-wide KVM setup, devices, and vCPU 0 in
     * its boot state. Anything opened is closed again if a later step fails. A networked VM registers with
     * {@code sharedLoop}, or starts a loop of its own when that is null.
     */
    static Vm build(final String id, final Kvm kvm, final BootCpu bootCpu, final PreparedKernel kernel, final VmSpec spec,
        final Timeline timeline, final TapLease lease, final NetEventLoop sharedLoop, final boolean offloads)
    {
        if (spec.network() != (lease != null))
        {
            closeQuietly(lease);
            throw new IllegalArgumentException("a networked VM needs a tap lease, and only a networked VM takes one: vm=" + id
                + " network=" + spec.network() + " lease=" + lease);
        }
        if (!kernel.fits(spec))
        {
            throw new IllegalArgumentException("prepared kernel does not match the VM spec (memory size or command line differ): vm=" + id);
        }
        GuestMemory memory = null;
        KvmVm kvmVm = null;
        KvmVcpu vcpu = null;
        try
        {
            memory = kernel.allocate(spec.hugePages());
            timeline.mark(Phase.MEMORY_READY);
            kernel.load(memory, spec.memoryMode());
            if (lease != null)
            {
                // Per VM: the template holds the spec's command line; this VM's addresses go into its own copy.
                kernel.writeCmdline(memory, VmNetwork.cmdline(spec.cmdline(), spec.virtioNetAddress(), lease));
            }
            timeline.mark(Phase.KERNEL_LOADED);

            kvmVm = kvm.createVm();
            kvmVm.setTssAddr(BootLayout.TSS_ADDRESS);
            kvmVm.createIrqchip();
            kvmVm.createPit2(KvmVm.KVM_PIT_SPEAKER_DUMMY);
            kvmVm.setUserMemoryRegion(0, 0, memory.size(), memory.hostAddress());
            timeline.mark(Phase.VM_CREATED);

            vcpu = kvmVm.createVcpu(0);
            bootCpu.apply(vcpu, kernel.entry());
            timeline.mark(Phase.VCPU_READY);

            return new Vm(id, spec, timeline, memory, kvmVm, vcpu, lease, sharedLoop, offloads);
        }
        catch (final RuntimeException ex)
        {
            closeQuietly(vcpu);
            closeQuietly(kvmVm);
            closeQuietly(memory);
            closeQuietly(lease);
            throw ex;
        }
    }

    /** Starts the vCPU thread and the boot-timeout watchdog. */
    void start(final ScheduledExecutorService timers)
    {
        final Thread vcpuThread = new Thread(this::runVcpu, "vcpu-" + id);
        vcpuThread.setDaemon(true);
        watchdog = timers.schedule(() -> requestStop(StopCause.BOOT_TIMEOUT), spec.bootTimeout().toMillis(), TimeUnit.MILLISECONDS);
        vcpuThread.start();
        // Only a started thread releases the VM; until then close() does it.
        thread = vcpuThread;
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

    /** Completes once the VM has ended and everything it held has been released. */
    public CompletableFuture<VmResult> result()
    {
        return result;
    }

    public boolean booted()
    {
        return bootComplete.isDone();
    }

    @Override
    public VmAddress address()
    {
        return lease == null ? null : VmAddress.of(lease);
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
        return cause == null ? null : cause.outcome(booted(), spec.bootTimeout().toMillis());
    }

    boolean resetRequested()
    {
        return resetRequested;
    }

    private void onBootComplete(final long nanos)
    {
        timeline.mark(Phase.BOOT_COMPLETE, nanos);
        bootComplete.complete(nanos);
        final ScheduledFuture<?> timer = watchdog;
        if (timer != null)
        {
            timer.cancel(false);
        }
        LOG.info("vm.boot_complete vm={} boot_us={}", id, (nanos - timeline.nanos(Phase.REQUEST)) / 1000);
    }

    private void onMilestone(final BootMilestonePort.Milestone milestone, final long nanos)
    {
        final Phase phase = Phase.of(milestone);
        timeline.mark(phase, nanos);
        LOG.debug("vm.milestone vm={} phase={} since_request_us={}", id, phase.jsonKey(), (nanos - timeline.nanos(Phase.REQUEST)) / 1000);
    }

    private void runVcpu()
    {
        synchronized (kickLock)
        {
            vcpuPthread = VcpuKick.currentThread();
        }
        timeline.mark(Phase.FIRST_RUN);
        VmOutcome outcome;
        try
        {
            outcome = loop.run();
        }
        catch (final RuntimeException | Error ex)
        {
            outcome = VmOutcome.of(new VmFailure.HostError("vCPU thread error: " + ex.getClass().getName(), String.valueOf(ex.getMessage())));
        }
        synchronized (kickLock)
        {
            vcpuAlive = false;
            vcpuPthread = 0;
        }
        finish(outcome);
    }

    private void finish(final VmOutcome outcome)
    {
        final ScheduledFuture<?> timer = watchdog;
        if (timer != null)
        {
            timer.cancel(false);
        }
        release();
        timeline.mark(Phase.STOPPED);
        LOG.info("vm.stopped vm={} outcome={} reason=\"{}\" exits={} console_bytes={}",
            id, outcome.kind(), outcome.reason(), loop.exits(), console.totalBytes());
        if (milestones.ignoredWrites() > 0)
        {
            LOG.debug("vm.milestones_ignored vm={} writes={} last_code={}", id, milestones.ignoredWrites(), milestones.lastIgnoredCode());
        }
        result.complete(new VmResult(id, outcome, timeline, console.text(), loop.exits()));
    }

    /**
     * Closes vCPU, network (its event loop touches guest memory), VM, then memory: KVM must drop its references
     * before the mapping goes. The tap goes back to the pool last, when nothing of this VM uses it any more.
     */
    private synchronized void release()
    {
        if (!released)
        {
            released = true;
            closeQuietly(vcpu);
            closeQuietly(network);
            closeQuietly(kvmVm);
            closeQuietly(memory);
            closeQuietly(lease);
        }
    }

    /**
     * Stops the VM if it runs, waits for its vCPU thread, and releases everything it held. Blocks: for tests
     * and tools that own a VM directly; a {@link VmActor} never calls it (it stops the VM and waits for
     * {@link #result()} with a bound instead).
     */
    @Override
    public void close()
    {
        final Thread vcpuThread = thread;
        if (vcpuThread == null)
        {
            synchronized (kickLock)
            {
                vcpuAlive = false;
            }
            release();
            result.complete(new VmResult(id, VmOutcome.of(new VmFailure.Cancelled("closed before start")), timeline, console.text(), 0));
            return;
        }
        stop();
        boolean interrupted = false;
        while (true)
        {
            try
            {
                vcpuThread.join();
                break;
            }
            catch (final InterruptedException ex)
            {
                interrupted = true;
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
