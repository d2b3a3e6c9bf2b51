package dev.hatchery.vm;

import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import dev.hatchery.config.VmSpec;
import dev.hatchery.devices.CloneIdentityDevice;
import dev.hatchery.kernel.PreparedKernel;
import dev.hatchery.kvm.Kvm;
import dev.hatchery.kvm.VcpuKick;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What every VM of this process shares: the open /dev/kvm, the boot vCPU state derived from it, the
 * timer that enforces boot timeouts, for networked VMs the tap pool and the shared network event
 * loops ({@link NetSettings}), and what keeps work off the spawn path ({@link HostSettings}): shells made
 * ahead, parked vCPU threads, and the teardown threads that release ended VMs. Built once per process;
 * {@link #launch} does only per-VM work.
 */
public final class VmHost implements AutoCloseable
{
    private final Kvm kvm;
    private final BootCpu bootCpu;
    private final HostSettings settings;
    /** Failures tests inject into building and starting VMs ({@link #injectFaults}); none in production. */
    private volatile BuildFaults faults = BuildFaults.NONE;
    private final ScheduledThreadPoolExecutor timers;
    private final VcpuThreads vcpuThreads;
    private final ShellPool<VmShell.Shape, VmShell> shells;
    private final ShellRecycler recycler;
    /** Threads that make shells and spare vCPU threads ahead of spawns. */
    private final ThreadPoolExecutor filler;
    private final AtomicInteger fillsQueued = new AtomicInteger();
    private final ThreadPoolExecutor teardown;
    private final GuestMemoryMeter memoryMeter = new GuestMemoryMeter();
    /** Created on the first networked launch (it needs CAP_NET_ADMIN, which VMs without network do not). */
    private TapPool.Settings tapSettings = TapPool.Settings.defaults();
    private TapPool taps;
    private NetSettings netSettings = NetSettings.defaults();
    /** Shared mode: made with the first networked VM, closed with the host. */
    private SharedNetLoops netLoops;
    private boolean closed;
    private int liveVms;
    private final CloneTemplates<VmSpec, CloneImage> cloneTemplates;
    private final AtomicLong cloneNumbers = new AtomicLong();
    private final AtomicLong templateNumbers = new AtomicLong();
    /** Each clone's own entropy for its guest's random-number generator (the host's, non-blocking). */
    private final SecureRandom entropy = new SecureRandom();
    /** Extra wait, beyond a template's boot timeout, for its VM to end once its watchdog stopped it. */
    private static final Duration TEMPLATE_STOP_WAIT = Duration.ofSeconds(30);

    /** How long closing the host waits for VMs whose vCPUs have not returned yet. */
    private static final Duration RELEASE_WAIT = Duration.ofSeconds(30);
    private static final Logger LOG = LoggerFactory.getLogger(VmHost.class);

    private VmHost(final Kvm kvm, final HostSettings settings)
    {
        this.kvm = kvm;
        this.settings = settings;
        this.bootCpu = new BootCpu(kvm);
        this.timers = new ScheduledThreadPoolExecutor(1, namedDaemon("vm-boot-watchdog"));
        timers.setRemoveOnCancelPolicy(true);
        VcpuKick.installHandler();
        this.vcpuThreads = new VcpuThreads(settings.spareVcpuThreads());
        this.teardown = new ThreadPoolExecutor(settings.teardownThreads(), settings.teardownThreads(), 0, TimeUnit.MILLISECONDS,
            new LinkedBlockingQueue<>(), namedDaemon("vm-teardown"));
        this.shells = new ShellPool<>(settings.shellDepth(), settings.shellShapes(), settings.shellRefillBelow(),
            settings.shellShapeIdle().toNanos(), System::nanoTime, this::makeShell, this::discardShell);
        this.recycler = new ShellRecycler(settings.recycleShells() && settings.shellDepth() > 0, kvm, bootCpu, shells);
        this.filler = new ThreadPoolExecutor(settings.shellFillThreads(), settings.shellFillThreads(), 0, TimeUnit.MILLISECONDS,
            new LinkedBlockingQueue<>(), namedDaemon("vm-host-filler"));
        this.cloneTemplates = new CloneTemplates<>(settings.maxCloneTemplates(), CloneImage::capturedBytes);
        // Started now, so that neither the first spawn nor the first teardown starts a thread.
        filler.prestartAllCoreThreads();
        teardown.prestartAllCoreThreads();
        requestFill();
    }

    /**
     * A shell the pool no longer wants is destroyed on a teardown thread, like an ended VM: destroying a KVM VM is the
     * slow part of teardown (in the nested lab once over a minute inside close(2)), and the thread that made the shell may be
     * preparing a batch. Once the host is closing, on the calling thread.
     */
    private void discardShell(final VmShell shell)
    {
        try
        {
            teardown.execute(() -> ShellPool.closeQuietly(shell));
        }
        catch (final java.util.concurrent.RejectedExecutionException ex)
        {
            ShellPool.closeQuietly(shell);
        }
    }

    /** A fresh shell for the pool; the first one also tells the recycler what fresh looks like. */
    private VmShell makeShell(final VmShell.Shape shape)
    {
        final VmShell shell = VmShell.create(kvm, shape, bootCpu);
        recycler.learn(shell);
        return shell;
    }

    private static java.util.concurrent.ThreadFactory namedDaemon(final String name)
    {
        final AtomicInteger count = new AtomicInteger();
        return runnable ->
        {
            final Thread thread = new Thread(runnable, name + "-" + count.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        };
    }

    /** Opens /dev/kvm; fails with the reason and the fix when KVM is unusable here. */
    public static VmHost open()
    {
        return open(Kvm.DEFAULT_PATH);
    }

    public static VmHost open(final String kvmPath)
    {
        return open(kvmPath, HostSettings.defaults());
    }

    public static VmHost open(final String kvmPath, final HostSettings settings)
    {
        final Kvm kvm = Kvm.open(kvmPath);
        try
        {
            return new VmHost(kvm, settings);
        }
        catch (final RuntimeException ex)
        {
            kvm.close();
            throw ex;
        }
    }

    public Kvm kvm()
    {
        return kvm;
    }

    public HostSettings settings()
    {
        return settings;
    }

    /**
     * Makes shells for VMs of this spec and kernel now, up to the depth, so the first spawns find them: the
     * supervisor calls it once it has prepared a request's kernel, off the spawn path. Fails with the reason
     * (e.g. out of memory).
     */
    public void prepareShells(final VmSpec spec, final PreparedKernel kernel)
    {
        shells.prepare(VmShell.Shape.of(spec, kernel));
    }

    /** What the host has done to keep work off the spawn path, for reports. */
    public HostStats stats()
    {
        final ShellPool.Stats shellStats = shells.stats();
        return new HostStats(shellStats.depth(), shellStats.ready(), shellStats.taken(), shellStats.missed(), shellStats.made(),
            recycler.recycled(), recycler.failed(),
            vcpuThreads.started(), vcpuThreads.startedOnSpawn(), vcpuThreads.idle(), teardown.getQueue().size(), memoryMeter.measured(),
            memoryMeter.privateBytes());
    }

    /** Queues a filler run unless every filler thread has one queued: many spawns ask, a few runs serve them all. */
    private void requestFill()
    {
        if (!(shells.wantsFill() || vcpuThreads.wantsTopUp()))
        {
            return;
        }
        final int queued = fillsQueued.get();
        if (queued < settings.shellFillThreads() && fillsQueued.compareAndSet(queued, queued + 1))
        {
            try
            {
                filler.execute(this::fill);
            }
            catch (final java.util.concurrent.RejectedExecutionException ex)
            {
                fillsQueued.decrementAndGet();
            }
        }
    }

    private void fill()
    {
        fillsQueued.decrementAndGet();
        try
        {
            vcpuThreads.topUp();
            shells.fill();
        }
        catch (final RuntimeException | Error ex)
        {
            LOG.warn("host.fill_failed error=\"{}\"", ex.toString());
        }
    }

    /** Sets the tap pool's prefix, size and subnet; only before the first networked VM creates the pool. */
    public synchronized void configureTaps(final TapPool.Settings settings)
    {
        if (taps != null)
        {
            throw new IllegalStateException("the tap pool exists already: prefix=" + taps.settings().prefix()
                + "; configure taps before the first networked VM");
        }
        tapSettings = java.util.Objects.requireNonNull(settings, "settings");
    }

    /** Sets the network event-loop mode and offloads; only before the first networked VM. */
    public synchronized void configureNetwork(final NetSettings settings)
    {
        if (taps != null)
        {
            throw new IllegalStateException("networked VMs have started already: " + netSettings
                + "; configure the network before the first networked VM");
        }
        netSettings = java.util.Objects.requireNonNull(settings, "settings");
    }

    public synchronized NetSettings netSettings()
    {
        return netSettings;
    }

    /** The live shared loop serving the fewest VMs (started on first use), or null in per-VM mode. */
    private synchronized NetEventLoop sharedNetLoop()
    {
        if (netSettings.loop() != NetSettings.Loop.SHARED)
        {
            return null;
        }
        if (netLoops == null)
        {
            netLoops = new SharedNetLoops(netSettings.sharedLoops());
        }
        return netLoops.leastBusy();
    }

    /** The shared loops now: how many serve, how many died (each replaced), and VM networks lost. */
    public synchronized NetLoopStats netLoopStats()
    {
        return netLoops == null ? new NetLoopStats(0, 0, 0) : netLoops.stats();
    }

    /**
     * Creates the tap pool and the shared event loops now, so that networked VMs find them ready: the
     * supervisor calls this once when a networked batch or VM is prepared, keeping tap creation off the
     * per-VM spawn path. Fails with the reason (e.g. no CAP_NET_ADMIN) and leaves nothing half-made.
     */
    public synchronized void prepareNetwork()
    {
        taps();
        sharedNetLoop();
    }

    /** The tap pool, created (with leftovers reclaimed) on first use. */
    public synchronized TapPool taps()
    {
        if (closed)
        {
            throw new IllegalStateException("VM host is closed");
        }
        if (taps == null)
        {
            taps = TapPool.create(tapSettings);
        }
        return taps;
    }

    /** Tests only: from now on building and starting VMs calls {@code injected} at each {@link BuildStep}. */
    void injectFaults(final BuildFaults injected)
    {
        faults = injected;
    }

    /**
     * Builds a VM from a prepared boot image and starts its vCPU. The request time is the moment this
     * is called unless the caller passes its own timeline (e.g. one started when a request arrived).
     * Only a {@link VmActor} (and this module's tests) holds the VM that comes back.
     */
    Vm launch(final String id, final PreparedKernel kernel, final VmSpec spec, final Timeline timeline)
    {
        return launch(id, kernel, spec, timeline, Vm.CloneRole.NONE);
    }

    /**
     * As above; with a {@code call}, the VM is a function's, booted instead of cloned (the cold path): {@code spec} is the
     * function's template spec, and the VM serves the call once booted.
     */
    Vm launch(final String id, final PreparedKernel kernel, final VmSpec spec, final Timeline timeline, final FunctionCall call)
    {
        if (call == null)
        {
            return launch(id, kernel, spec, timeline);
        }
        return launch(id, kernel, spec, timeline, Vm.CloneRole.coldFunction(new CloneIdentityDevice.Identity(0, freshEntropy()), call));
    }

    private byte[] freshEntropy()
    {
        final byte[] seed = new byte[CloneIdentityDevice.ENTROPY_BYTES];
        entropy.nextBytes(seed);
        return seed;
    }

    private Vm launch(final String id, final PreparedKernel kernel, final VmSpec spec, final Timeline timeline, final Vm.CloneRole role)
    {
        final TapLease lease = spec.network() ? taps().lease() : null;
        NetEventLoop sharedLoop = null;
        final boolean offloads;
        synchronized (this)
        {
            offloads = netSettings.offloads();
        }
        if (lease != null)
        {
            try
            {
                sharedLoop = sharedNetLoop();
            }
            catch (final RuntimeException ex)
            {
                lease.close();
                throw ex;
            }
        }
        final VmShell shell = shells.take(VmShell.Shape.of(spec, kernel));
        final Vm vm;
        try
        {
            vm = Vm.build(id, kvm, bootCpu, kernel, spec, timeline, lease, sharedLoop, offloads, shell, faults, role);
        }
        finally
        {
            requestFill();
        }
        return start(vm);
    }

    /**
     * The template for clones of {@code cloneSpec}, held until the caller closes it: made now, the first time, by
     * booting a template VM from {@code kernel} (prepared for {@link VmSpec#cloneTemplateSpec()}) to its ready point
     * and capturing it; blocks meanwhile. Fails with why it could not be made (e.g. the guest never got ready).
     */
    public CloneTemplate acquireCloneTemplate(final VmSpec cloneSpec, final PreparedKernel kernel)
    {
        return new CloneTemplate(cloneTemplates.acquire(cloneSpec, spec -> makeCloneImage(spec, kernel)));
    }

    /** The clone templates this host keeps: how many, held, bytes, the bound, drops. */
    public CloneTemplateStats cloneTemplateStats()
    {
        final CloneTemplates.Stats stats = cloneTemplates.stats();
        return new CloneTemplateStats(stats.kept(), stats.held(), stats.bytes(), stats.maxKept(), stats.dropped());
    }

    private CloneImage makeCloneImage(final VmSpec cloneSpec, final PreparedKernel kernel)
    {
        final VmSpec templateSpec = cloneSpec.cloneTemplateSpec();
        final String id = "clone-template-" + templateNumbers.incrementAndGet();
        final CloneCapture capture = new CloneCapture(id, cloneSpec, kernel, kvm.msrIndexList());
        final Vm vm = launch(id, kernel, templateSpec, Timeline.startingNow(), Vm.CloneRole.template(capture));
        try
        {
            final CloneImage image = capture.image().get(templateSpec.bootTimeout().plus(TEMPLATE_STOP_WAIT).toMillis(), TimeUnit.MILLISECONDS);
            LOG.info("clone_template.captured id={} captured_bytes={} prepare_ms={} msrs={} kvmclock_ns={}", id, image.capturedBytes(),
                image.prepareNanos() / 1_000_000, image.vcpu().msrCount(), image.clock().nanos());
            return image;
        }
        catch (final java.util.concurrent.ExecutionException ex)
        {
            throw new IllegalStateException(String.valueOf(ex.getCause().getMessage()), ex.getCause());
        }
        catch (final java.util.concurrent.TimeoutException ex)
        {
            vm.stop();
            throw new IllegalStateException("template VM " + id + " neither reached the clone ready point nor ended within "
                + templateSpec.bootTimeout().plus(TEMPLATE_STOP_WAIT).toMillis() + " ms", ex);
        }
        catch (final InterruptedException ex)
        {
            vm.stop();
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while template VM " + id + " booted", ex);
        }
    }

    /**
     * Builds a clone of {@code template} and starts its vCPU: it resumes where the template's guest was captured, told
     * its own clone number and fresh entropy. {@code spec} must be the template's. Only a {@link VmActor} (and this
     * module's tests) holds the VM that comes back.
     */
    Vm launchClone(final String id, final CloneTemplate template, final VmSpec spec, final Timeline timeline)
    {
        return launchClone(id, template, spec, timeline, null);
    }

    /** As above; with a {@code call}, the clone serves that one invocation of its function and ends when it replies. */
    Vm launchClone(final String id, final CloneTemplate template, final VmSpec spec, final Timeline timeline, final FunctionCall call)
    {
        final byte[] seed = freshEntropy();
        final TapLease lease = spec.network() ? taps().lease() : null;
        final NetEventLoop sharedLoop;
        final boolean offloads;
        try
        {
            sharedLoop = lease == null ? null : sharedNetLoop();
            synchronized (this)
            {
                offloads = netSettings.offloads();
            }
        }
        catch (final RuntimeException ex)
        {
            if (lease != null)
            {
                lease.close();
            }
            throw ex;
        }
        final CloneIdentityDevice.Network network = lease == null ? null : new CloneIdentityDevice.Network(lease.guestAddress().getAddress(),
            netmaskBytes(lease.prefixLength()), lease.hostAddress().getAddress(), VmNetwork.mac(id, spec));
        // A shell made ahead for the template's kernel has the shape of a clone's too (same RAM, backing and kernel).
        final VmShell shell = shells.take(VmShell.Shape.of(spec, template.image().kernel()));
        final Vm vm;
        try
        {
            vm = Vm.buildClone(id, kvm, bootCpu, template.image(), spec, timeline,
                new CloneIdentityDevice.Identity(cloneNumbers.incrementAndGet(), seed, network), lease, sharedLoop, offloads, shell, faults, call);
        }
        finally
        {
            requestFill();
        }
        return start(vm);
    }

    private static byte[] netmaskBytes(final int prefixLength)
    {
        final int mask = prefixLength == 0 ? 0 : -1 << (32 - prefixLength);
        return new byte[] {(byte)(mask >>> 24), (byte)(mask >>> 16), (byte)(mask >>> 8), (byte)mask};
    }

    /** Counts a built VM as live until it is released and starts its vCPU; a VM that cannot start is released here. */
    private Vm start(final Vm vm)
    {
        synchronized (this)
        {
            liveVms++;
        }
        vm.released().whenComplete((done, error) -> vmReleased());
        try
        {
            vm.start(timers, vcpuThreads, teardown, memoryMeter, recycler);
        }
        catch (final RuntimeException | Error ex)
        {
            // No vCPU thread (e.g. the process is out of threads): release here, as the thread would have.
            vm.close();
            throw ex;
        }
        return vm;
    }

    private synchronized void vmReleased()
    {
        liveVms--;
        notifyAll();
    }

    /** VMs launched on this host whose resources are not released yet. */
    public synchronized int liveVms()
    {
        return liveVms;
    }

    Vm launch(final String id, final PreparedKernel kernel, final VmSpec spec)
    {
        return launch(id, kernel, spec, Timeline.startingNow());
    }

    /**
     * Waits, at most {@link #RELEASE_WAIT}, for the VMs still being released (their actors stopped them and do
     * not wait for them), then closes the loops, the taps and /dev/kvm.
     */
    @Override
    public void close()
    {
        awaitVmsReleased();
        timers.shutdownNow();
        filler.shutdownNow();
        teardown.shutdown();
        try
        {
            timers.awaitTermination(5, TimeUnit.SECONDS);
            filler.awaitTermination(5, TimeUnit.SECONDS);
            teardown.awaitTermination(5, TimeUnit.SECONDS);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
        shells.close();
        cloneTemplates.close();
        vcpuThreads.close();
        memoryMeter.close();
        synchronized (this)
        {
            closed = true;
            // A VM still running loses its loop here (its registration is dropped); the host outlives its VMs.
            if (netLoops != null)
            {
                netLoops.close();
            }
            if (taps != null)
            {
                taps.close();
            }
        }
        kvm.close();
    }

    private synchronized void awaitVmsReleased()
    {
        final long deadline = System.nanoTime() + RELEASE_WAIT.toNanos();
        boolean interrupted = false;
        while (liveVms > 0)
        {
            final long left = deadline - System.nanoTime();
            if (left <= 0)
            {
                LOG.warn("host.close_with_live_vms count={} waited_ms={}", liveVms, RELEASE_WAIT.toMillis());
                break;
            }
            try
            {
                wait(Math.max(1, left / 1_000_000));
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
}
