package dev.hatchery.vm;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

import dev.hatchery.config.GuestPhysicalMap;
import dev.hatchery.config.VmSpec;
import dev.hatchery.devices.Bus;
import dev.hatchery.devices.virtio.PacketPort;
import dev.hatchery.devices.virtio.SourceFilter;
import dev.hatchery.devices.virtio.VirtioMmioTransport;
import dev.hatchery.devices.virtio.VirtioNet;
import dev.hatchery.kvm.Epoll;
import dev.hatchery.kvm.EventFd;
import dev.hatchery.kvm.GuestMemory;
import dev.hatchery.kvm.KvmVm;
import dev.hatchery.kvm.Tap;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A VM's network: virtio-net over its leased tap, behind a virtio-mmio window on the MMIO bus. Queue
 * notifications arrive on ioeventfds and interrupts leave through an irqfd, so neither needs a vCPU exit
 * to userspace; an epoll {@link NetEventLoop} waits on the ioeventfds and the tap (edge-triggered) and
 * calls into the device: the host's shared loop, or one of this VM's own ({@link NetSettings.Loop}).
 * Owned by {@link Vm}; closed before the VM fd and guest memory.
 */
final class VmNetwork implements AutoCloseable
{
    private static final Logger LOG = LoggerFactory.getLogger(VmNetwork.class);

    /** The legacy ISA line the guest is told about in virtio_mmio.device=...:5: the first virtio device's in the guest-physical map. */
    static final int IRQ = GuestPhysicalMap.virtioIrq(0);
    /** Event-loop sources: the queue ioeventfds are 0 (RX) and 1 (TX), the tap comes after them. */
    static final int TAP_SOURCE = 2;

    private final Tap tap;
    private final EventFd interrupt;
    private final EventFd[] queueNotify;
    private final VirtioNet net;
    private final VirtioMmioTransport transport;
    private final String vmId;
    /** Set once, on the loop thread, when the loop stops serving this VM. */
    private volatile String lostReason;
    /** Null while open() is still wiring things up. */
    private NetEventLoop.Registration registration;
    /** This VM's own loop (per-VM mode), or null on a shared loop, which the host owns. */
    private NetEventLoop ownLoop;
    private boolean closed;

    private VmNetwork(final String vmId, final Tap tap, final EventFd interrupt, final EventFd[] queueNotify, final VirtioNet net,
        final VirtioMmioTransport transport)
    {
        this.vmId = vmId;
        this.tap = tap;
        this.interrupt = interrupt;
        this.queueNotify = queueNotify;
        this.net = net;
        this.transport = transport;
    }

    /** The kernel command line for one networked VM: the template's, plus the device and the lease's addresses. */
    static String cmdline(final String base, final long windowAddress, final TapLease lease)
    {
        final String extra = "virtio_mmio.device=" + GuestPhysicalMap.DEVICE_WINDOW_LENGTH / 1024 + "K@0x" + Long.toHexString(windowAddress) + ":" + IRQ
            + " ip=" + lease.guestAddress().getHostAddress() + "::" + lease.hostAddress().getHostAddress() + ":" + lease.netmask()
            + "::eth0:off";
        return base.isEmpty() ? extra : base + " " + extra;
    }

    /**
     * Opens everything and registers the device; anything opened is closed again if a step fails.
     *
     * @param sharedLoop the host's loop to register with, or null: start a loop of this VM's own.
     * @param offloads   offer checksum/TSO offloads (the tap learns which the guest accepted at activation).
     */
    static VmNetwork open(final String vmId, final VmSpec spec, final TapLease lease, final GuestMemory memory, final KvmVm kvmVm,
        final Bus mmio, final NetEventLoop sharedLoop, final boolean offloads)
    {
        return open(vmId, spec, lease, memory, kvmVm, mmio, sharedLoop, offloads, null);
    }

    /**
     * As above; with {@code restoreFrom} (a clone's), the device starts as its template's was, live, over the clone's
     * copy of the template's memory, before any event of the tap or the queues reaches it.
     */
    static VmNetwork open(final String vmId, final VmSpec spec, final TapLease lease, final GuestMemory memory, final KvmVm kvmVm,
        final Bus mmio, final NetEventLoop sharedLoop, final boolean offloads, final VirtioMmioTransport.State restoreFrom)
    {
        Tap tap = null;
        EventFd interrupt = null;
        final EventFd[] queueNotify = new EventFd[2];
        VmNetwork network = null;
        try
        {
            tap = Tap.open(lease.tapName());
            interrupt = EventFd.create();
            kvmVm.irqfd(interrupt, IRQ);
            final byte[] mac = mac(vmId, spec);
            final SourceFilter sourceFilter = lease.isolated() ? new SourceFilter(mac, lease.guestAddress()) : null;
            final VirtioNet net = new VirtioNet(new TapPort(tap), mac, offloads, sourceFilter);
            final EventFd irq = interrupt;
            final VirtioMmioTransport transport = new VirtioMmioTransport(net, memory, irq::signal);
            final long window = spec.virtioNetAddress();
            for (int i = 0; i < transport.queueCount(); i++)
            {
                queueNotify[i] = EventFd.create();
                kvmVm.ioeventfd(window + VirtioMmioTransport.QUEUE_NOTIFY_OFFSET, 4, i, queueNotify[i]);
            }
            if (restoreFrom != null)
            {
                transport.restore(restoreFrom);
            }
            network = new VmNetwork(vmId, tap, interrupt, queueNotify, net, transport);
            final NetEventLoop loop;
            if (sharedLoop == null)
            {
                network.ownLoop = NetEventLoop.start("net-" + vmId);
                loop = network.ownLoop;
            }
            else
            {
                loop = sharedLoop;
            }
            // Edge-triggered tap: VirtioNet drains it until empty or out of guest buffers (see its docs).
            network.registration = loop.register(vmId, new int[] {queueNotify[0].fd(), queueNotify[1].fd(), tap.fd()},
                new int[] {Epoll.EPOLLIN, Epoll.EPOLLIN, Epoll.EPOLLIN | Epoll.EPOLLET}, network.handler());
            mmio.register(window, VirtioMmioTransport.MMIO_WINDOW_LENGTH, transport);
            return network;
        }
        catch (final RuntimeException ex)
        {
            if (network != null)
            {
                network.close();
            }
            else
            {
                closeAll(queueNotify[0], queueNotify[1], interrupt, tap);
            }
            throw ex;
        }
    }

    private NetEventLoop.Handler handler()
    {
        return new NetEventLoop.Handler()
        {
            @Override
            public boolean onReady(final int source)
            {
                return VmNetwork.this.onReady(source);
            }

            @Override
            public boolean resume()
            {
                return VmNetwork.this.resume();
            }

            @Override
            public void onLost(final String reason)
            {
                VmNetwork.this.onLost(reason);
            }
        };
    }

    /** The VM's MAC: the spec's, or one derived from the VM id. */
    static byte[] mac(final String vmId, final VmSpec spec)
    {
        return spec.mac() != null ? VmSpec.parseMac(spec.mac()) : VirtioNet.macFromSeed(vmId.hashCode());
    }

    VirtioNet device()
    {
        return net;
    }

    /**
     * Runs {@code capture} while the device is quiet: under its lock, which the event loop takes for every queue and tap
     * event, so no frame moves into or out of guest memory meanwhile. Gives it the transport's state.
     */
    <T> T whileQuiet(final java.util.function.Function<VirtioMmioTransport.State, T> capture)
    {
        synchronized (net)
        {
            return capture.apply(transport.state());
        }
    }

    /**
     * The device's counters, the transport's registers and each queue's indices on both sides: why traffic stopped, if
     * it did. Reads guest memory, so under this object's lock: the VM unmaps its memory only after {@link #close()},
     * which takes the same lock; once closed, only that is said.
     */
    synchronized String describe()
    {
        return closed ? "network closed (the VM was released)" : net + " " + transport.describeBothSides();
    }

    /** The features the guest driver accepted (0 before FEATURES_OK). */
    long ackedFeatures()
    {
        return transport.ackedFeatures();
    }

    /** On the loop thread: one budgeted slice of the device's work; true when it left some (see VirtioNet#WORK_BUDGET). */
    private boolean onReady(final int source)
    {
        if (source == TAP_SOURCE)
        {
            net.onPacketsReadable();
        }
        else
        {
            queueNotify[source].drain();
            transport.notifyQueue(source);
        }
        return net.hasPendingWork();
    }

    private boolean resume()
    {
        net.resume();
        return net.hasPendingWork();
    }

    /** The loop stopped serving this VM: its frames no longer move. Said in the VM's record; the loop counts it. */
    private void onLost(final String reason)
    {
        lostReason = reason;
        LOG.warn("vm.network_lost vm={} tap={} reason=\"{}\"", vmId, tap.name(), reason);
    }

    /** Why this VM's network stopped being served, or null while it is. */
    String lostReason()
    {
        return lostReason;
    }

    /**
     * Leaves the event loop (after this no loop thread touches the device), stops this VM's own loop if it has one,
     * and closes the descriptors; the VM fd (irqfd, ioeventfds) is closed after this by the Vm.
     */
    @Override
    public synchronized void close()
    {
        if (closed)
        {
            return;
        }
        closed = true;
        closeAll(registration, ownLoop, queueNotify[0], queueNotify[1], interrupt, tap);
    }

    private static void closeAll(final AutoCloseable... resources)
    {
        for (final AutoCloseable resource : resources)
        {
            if (resource != null)
            {
                try
                {
                    resource.close();
                }
                catch (final Exception ex)
                {
                    LOG.warn("vm.net_release_failed resource={} error=\"{}\"", resource.getClass().getSimpleName(), ex.toString());
                }
            }
        }
    }

    /** PacketPort over a tap: each call is one non-blocking read(2)/write(2)/ioctl on the tap fd. */
    private static final class TapPort implements PacketPort
    {
        private final Tap tap;

        TapPort(final Tap tap)
        {
            this.tap = tap;
        }

        @Override
        public int read(final MutableDirectBuffer buffer, final int index, final int capacity)
        {
            return tap.read(buffer.addressOffset() + index, capacity);
        }

        @Override
        public int write(final DirectBuffer buffer, final int index, final int length)
        {
            return tap.write(buffer.addressOffset() + index, length);
        }

        @Override
        public void configureOffloads(final int tunOffloadFlags)
        {
            tap.setOffload(tunOffloadFlags);
        }
    }
}
