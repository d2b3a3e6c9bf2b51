package dev.hatchery.vm;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

import dev.hatchery.config.VmSpec;
import dev.hatchery.devices.Bus;
import dev.hatchery.devices.virtio.PacketPort;
import dev.hatchery.devices.virtio.VirtioMmioTransport;
import dev.hatchery.devices.virtio.VirtioNet;
import dev.hatchery.kvm.Epoll;
import dev.hatchery.kvm.EpollEvents;
import dev.hatchery.kvm.EventFd;
import dev.hatchery.kvm.GuestMemory;
import dev.hatchery.kvm.KvmVm;
import dev.hatchery.kvm.Tap;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A VM's network: virtio-net over its leased tap, behind a virtio-mmio window on the MMIO bus. Queue
 * notifications arrive on ioeventfds and interrupts leave through an irqfd, so neither needs a vCPU exit
 * to userspace; one event-loop thread per VM waits on the ioeventfds and the tap (edge-triggered) and
 * calls into the device. Owned by {@link Vm}; closed before the VM fd and guest memory.
 */
final class VmNetwork implements AutoCloseable
{
    private static final Logger LOG = LoggerFactory.getLogger(VmNetwork.class);

    /** The legacy ISA line the guest is told about in virtio_mmio.device=...:5; free on our machine (serial is 4). */
    static final int IRQ = 5;
    private static final long TAP_TOKEN = 1_000;
    private static final int MAX_EVENTS = 8;

    private final Tap tap;
    private final EventFd interrupt;
    private final EventFd[] queueNotify;
    private final Epoll epoll;
    private final VirtioNet net;
    private final VirtioMmioTransport transport;
    private final Thread thread;
    private volatile boolean closing;
    private boolean closed;

    private VmNetwork(final String vmId, final Tap tap, final EventFd interrupt, final EventFd[] queueNotify, final Epoll epoll,
        final VirtioNet net, final VirtioMmioTransport transport)
    {
        this.tap = tap;
        this.interrupt = interrupt;
        this.queueNotify = queueNotify;
        this.epoll = epoll;
        this.net = net;
        this.transport = transport;
        this.thread = new Thread(this::eventLoop, "net-" + vmId);
        thread.setDaemon(true);
    }

    /** The kernel command line for one networked VM: the template's, plus the device and the lease's addresses. */
    static String cmdline(final String base, final long windowAddress, final TapLease lease)
    {
        final String extra = "virtio_mmio.device=4K@0x" + Long.toHexString(windowAddress) + ":" + IRQ
            + " ip=" + lease.guestAddress().getHostAddress() + "::" + lease.hostAddress().getHostAddress() + ":" + lease.netmask()
            + "::eth0:off";
        return base.isEmpty() ? extra : base + " " + extra;
    }

    /** Opens everything and registers the device; anything opened is closed again if a step fails. */
    static VmNetwork open(final String vmId, final VmSpec spec, final TapLease lease, final GuestMemory memory, final KvmVm kvmVm,
        final Bus mmio)
    {
        Tap tap = null;
        EventFd interrupt = null;
        final EventFd[] queueNotify = new EventFd[2];
        Epoll epoll = null;
        try
        {
            tap = Tap.open(lease.tapName());
            interrupt = EventFd.create();
            kvmVm.irqfd(interrupt, IRQ);
            final byte[] mac = spec.mac() != null ? VmSpec.parseMac(spec.mac()) : VirtioNet.macFromSeed(vmId.hashCode());
            final VirtioNet net = new VirtioNet(new TapPort(tap), mac, false);
            final EventFd irq = interrupt;
            final VirtioMmioTransport transport = new VirtioMmioTransport(net, memory, irq::signal);
            final long window = spec.virtioNetAddress();
            epoll = Epoll.create();
            for (int i = 0; i < transport.queueCount(); i++)
            {
                queueNotify[i] = EventFd.create();
                kvmVm.ioeventfd(window + VirtioMmioTransport.QUEUE_NOTIFY_OFFSET, 4, i, queueNotify[i]);
                epoll.add(queueNotify[i].fd(), Epoll.EPOLLIN, i);
            }
            // Edge-triggered: VirtioNet drains the tap until empty or out of guest buffers (see its docs).
            epoll.add(tap.fd(), Epoll.EPOLLIN | Epoll.EPOLLET, TAP_TOKEN);
            mmio.register(window, VirtioMmioTransport.MMIO_WINDOW_LENGTH, transport);
            final VmNetwork network = new VmNetwork(vmId, tap, interrupt, queueNotify, epoll, net, transport);
            network.thread.start();
            return network;
        }
        catch (final RuntimeException ex)
        {
            closeAll(epoll, queueNotify[0], queueNotify[1], interrupt, tap);
            throw ex;
        }
    }

    VirtioNet device()
    {
        return net;
    }

    private void eventLoop()
    {
        final EpollEvents events = new EpollEvents(MAX_EVENTS);
        try
        {
            while (!closing)
            {
                final int count = epoll.wait(events, -1);
                for (int i = 0; i < count && !closing; i++)
                {
                    final long token = events.token(i);
                    if (token == TAP_TOKEN)
                    {
                        net.onPacketsReadable();
                    }
                    else
                    {
                        final int queue = (int)token;
                        queueNotify[queue].drain();
                        transport.notifyQueue(queue);
                    }
                }
            }
        }
        catch (final RuntimeException | Error ex)
        {
            LOG.warn("vm.net_loop_failed thread={} error=\"{}\"", Thread.currentThread().getName(), ex.toString());
        }
    }

    /** Stops the event loop and closes its descriptors; the VM fd (irqfd, ioeventfds) is closed after this by the Vm. */
    @Override
    public synchronized void close()
    {
        if (closed)
        {
            return;
        }
        closed = true;
        closing = true;
        epoll.wakeup();
        boolean interrupted = false;
        while (thread.isAlive())
        {
            try
            {
                thread.join();
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
        closeAll(epoll, queueNotify[0], queueNotify[1], interrupt, tap);
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
