package dev.hatchery.devices.virtio;

import java.nio.ByteOrder;
import java.util.Objects;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.hatchery.config.GuestPhysicalMap;
import dev.hatchery.devices.Device;
import dev.hatchery.devices.InterruptTrigger;
import dev.hatchery.kvm.GuestMemory;

/**
 * The virtio-mmio register file, version 2 (virtio 1.x §4.2.2), in one 4 KiB window, in front of a
 * {@link VirtioDevice}. Registers are 32-bit little-endian; config space from 0x100 takes 1, 2, 4 or
 * 8-byte accesses. Accesses of any other width, to unknown registers, or that the current state does not
 * allow are ignored (reads return 0) and counted, never thrown: the guest decides what it writes.
 * <p>
 * Status handshake: ACKNOWLEDGE, DRIVER, then FEATURES_OK, which only sticks when the driver accepted
 * VIRTIO_F_VERSION_1, nothing that was not offered, and a combination the device accepts; DRIVER_OK
 * (only after FEATURES_OK) activates the device; writing 0 resets device and queues. A guest that
 * breaks a queue rule gets DEVICE_NEEDS_RESET and a configuration-change interrupt, and its queues stop
 * until it resets the device.
 * <p>
 * Every entry point holds the device's monitor (see {@link VirtioDevice}): vCPU threads and the event
 * loop that drains the queue-notify ioeventfds may call in concurrently.
 * <p>
 * Guest memory must outlive the transport: ring views are taken when a queue becomes ready, so stop
 * the vCPUs and the event loop before the VM's {@link GuestMemory} is closed.
 */
public final class VirtioMmioTransport implements Device
{
    /** The window each device claims on the MMIO bus: one page of the guest-physical map; registers and config space fit in it. */
    public static final int MMIO_WINDOW_LENGTH = GuestPhysicalMap.DEVICE_WINDOW_LENGTH;

    public static final int MAGIC_VALUE_OFFSET = 0x000;
    public static final int VERSION_OFFSET = 0x004;
    public static final int DEVICE_ID_OFFSET = 0x008;
    public static final int VENDOR_ID_OFFSET = 0x00c;
    public static final int DEVICE_FEATURES_OFFSET = 0x010;
    public static final int DEVICE_FEATURES_SEL_OFFSET = 0x014;
    public static final int DRIVER_FEATURES_OFFSET = 0x020;
    public static final int DRIVER_FEATURES_SEL_OFFSET = 0x024;
    public static final int QUEUE_SEL_OFFSET = 0x030;
    public static final int QUEUE_NUM_MAX_OFFSET = 0x034;
    public static final int QUEUE_NUM_OFFSET = 0x038;
    public static final int QUEUE_READY_OFFSET = 0x044;
    /** KVM_IOEVENTFD goes here (4 bytes, datamatch = queue index); the event loop then calls {@link #notifyQueue(int)}. */
    public static final int QUEUE_NOTIFY_OFFSET = 0x050;
    public static final int INTERRUPT_STATUS_OFFSET = 0x060;
    public static final int INTERRUPT_ACK_OFFSET = 0x064;
    public static final int STATUS_OFFSET = 0x070;
    public static final int QUEUE_DESC_LOW_OFFSET = 0x080;
    public static final int QUEUE_DESC_HIGH_OFFSET = 0x084;
    public static final int QUEUE_DRIVER_LOW_OFFSET = 0x090;
    public static final int QUEUE_DRIVER_HIGH_OFFSET = 0x094;
    public static final int QUEUE_DEVICE_LOW_OFFSET = 0x0a0;
    public static final int QUEUE_DEVICE_HIGH_OFFSET = 0x0a4;
    public static final int SHM_SEL_OFFSET = 0x0ac;
    public static final int SHM_LEN_LOW_OFFSET = 0x0b0;
    public static final int SHM_LEN_HIGH_OFFSET = 0x0b4;
    public static final int SHM_BASE_LOW_OFFSET = 0x0b8;
    public static final int SHM_BASE_HIGH_OFFSET = 0x0bc;
    public static final int CONFIG_GENERATION_OFFSET = 0x0fc;
    public static final int CONFIG_OFFSET = 0x100;

    /** "virt", little-endian. */
    public static final int MAGIC_VALUE = 0x74726976;
    public static final int VERSION = 2;
    public static final int VENDOR_ID = 0;

    public static final int STATUS_ACKNOWLEDGE = 0x01;
    public static final int STATUS_DRIVER = 0x02;
    public static final int STATUS_DRIVER_OK = 0x04;
    public static final int STATUS_FEATURES_OK = 0x08;
    public static final int STATUS_DEVICE_NEEDS_RESET = 0x40;
    public static final int STATUS_FAILED = 0x80;
    private static final int STATUS_DRIVER_BITS =
        STATUS_ACKNOWLEDGE | STATUS_DRIVER | STATUS_DRIVER_OK | STATUS_FEATURES_OK | STATUS_FAILED;

    /** InterruptStatus bits ("bit 1 / bit 2" in x86-boot.md are these values). */
    public static final int INTERRUPT_USED_BUFFER = 0x1;
    public static final int INTERRUPT_CONFIG_CHANGE = 0x2;

    private static final int REGISTER_WIDTH = 4;
    private static final int NO_SHARED_MEMORY = 0xffff_ffff;
    /** A guest can fail and reset in a loop; after this many warnings per device further failures log at debug. */
    private static final int WARNED_FAILURE_LIMIT = 16;

    private static final Logger LOG = LoggerFactory.getLogger(VirtioMmioTransport.class);

    private final VirtioDevice device;
    private final GuestMemory memory;
    private final InterruptTrigger interrupt;
    private final Virtqueue[] queues;
    private final QueueOwner queueOwner = new QueueOwner();

    private int status;
    private int deviceFeaturesSel;
    private int driverFeaturesSel;
    private long driverFeatures;
    private boolean driverFeaturesBeyond64;
    private long ackedFeatures;
    private int queueSel;
    private int interruptStatus;
    private int configGeneration;
    private ActiveContext context;
    private boolean needsReset;
    private String failureReason;
    private long failures;
    private long ignoredAccesses;

    public VirtioMmioTransport(final VirtioDevice device, final GuestMemory memory, final InterruptTrigger interrupt)
    {
        this.device = Objects.requireNonNull(device, "device");
        this.memory = Objects.requireNonNull(memory, "memory");
        this.interrupt = Objects.requireNonNull(interrupt, "interrupt");
        if (!VirtioFeatures.has(device.deviceFeatures(), VirtioFeatures.VIRTIO_F_VERSION_1))
        {
            throw new IllegalArgumentException("virtio device must offer VIRTIO_F_VERSION_1: device=" + device.name()
                + " features=" + Virtqueue.hex(device.deviceFeatures()));
        }
        if (device.configSize() < 0 || device.configSize() > MMIO_WINDOW_LENGTH - CONFIG_OFFSET)
        {
            throw new IllegalArgumentException("virtio config space does not fit the window: device=" + device.name()
                + " config_size=" + device.configSize());
        }
        final int queueCount = device.queueCount();
        queues = new Virtqueue[queueCount];
        for (int i = 0; i < queueCount; i++)
        {
            queues[i] = new Virtqueue(i, device.queueMaxSize(i), memory, queueOwner);
        }
    }

    @Override
    public String name()
    {
        return device.name();
    }

    public VirtioDevice device()
    {
        return device;
    }

    public int queueCount()
    {
        return queues.length;
    }

    @Override
    public void read(final long offset, final MutableDirectBuffer data, final int index, final int length)
    {
        if (length <= 0)
        {
            return;
        }
        synchronized (device)
        {
            if (offset >= CONFIG_OFFSET && offset < MMIO_WINDOW_LENGTH)
            {
                readConfig((int)offset - CONFIG_OFFSET, data, index, length);
            }
            else if (length == REGISTER_WIDTH && offset >= 0 && (offset & (REGISTER_WIDTH - 1)) == 0)
            {
                data.putInt(index, readRegister((int)offset), ByteOrder.LITTLE_ENDIAN);
            }
            else
            {
                ignoredAccesses++;
                data.setMemory(index, length, (byte)0);
            }
        }
    }

    @Override
    public void write(final long offset, final DirectBuffer data, final int index, final int length)
    {
        if (length <= 0)
        {
            return;
        }
        synchronized (device)
        {
            if (offset >= CONFIG_OFFSET && offset < MMIO_WINDOW_LENGTH)
            {
                writeConfig((int)offset - CONFIG_OFFSET, data, index, length);
            }
            else if (length == REGISTER_WIDTH && offset >= 0 && (offset & (REGISTER_WIDTH - 1)) == 0)
            {
                writeRegister((int)offset, data.getInt(index, ByteOrder.LITTLE_ENDIAN));
            }
            else
            {
                ignoredAccesses++;
            }
        }
    }

    /**
     * The driver notified queue {@code index}: the fast path, called by the event loop after draining
     * the queue's ioeventfd (a QueueNotify MMIO write takes the same path). Ignored unless the device is
     * active; never throws.
     */
    public void notifyQueue(final int index)
    {
        synchronized (device)
        {
            if (index < 0 || index >= queues.length)
            {
                ignoredAccesses++;
                return;
            }
            if (isLive())
            {
                try
                {
                    device.queueNotified(index);
                }
                catch (final RuntimeException ex)
                {
                    deviceError("queue_notify", ex);
                }
            }
        }
    }

    /** Device status as the driver reads it. */
    public int status()
    {
        synchronized (device)
        {
            return status;
        }
    }

    /** The features the driver accepted at FEATURES_OK (0 before). */
    public long ackedFeatures()
    {
        synchronized (device)
        {
            return ackedFeatures;
        }
    }

    public int interruptStatus()
    {
        synchronized (device)
        {
            return interruptStatus;
        }
    }

    /** DEVICE_NEEDS_RESET is set: the guest broke a rule and the queues are stopped until it resets the device. */
    public boolean needsReset()
    {
        synchronized (device)
        {
            return needsReset;
        }
    }

    /** Why the device needs a reset, or null; cleared by a reset. */
    public String failureReason()
    {
        synchronized (device)
        {
            return failureReason;
        }
    }

    /** Guest rule violations since the device was created. */
    public long failures()
    {
        synchronized (device)
        {
            return failures;
        }
    }

    /** Register accesses ignored for width, offset or state since the device was created. */
    public long ignoredAccesses()
    {
        synchronized (device)
        {
            return ignoredAccesses;
        }
    }

    /**
     * The transport's registers and its queues' positions: with the guest memory they point into, what a clone of a
     * VM needs for its guest's driver to find the device as it left it, already live.
     */
    public record State(int status, int deviceFeaturesSel, int driverFeaturesSel, long driverFeatures, boolean driverFeaturesBeyond64,
        long ackedFeatures, int queueSel, int interruptStatus, int configGeneration, boolean needsReset, String failureReason,
        java.util.List<Virtqueue.State> queues)
    {
        public State
        {
            queues = java.util.List.copyOf(queues);
        }
    }

    /** A consistent copy: taken under the device's lock, which every queue and device call holds. */
    public State state()
    {
        synchronized (device)
        {
            final java.util.List<Virtqueue.State> queueStates = new java.util.ArrayList<>();
            for (final Virtqueue queue : queues)
            {
                queueStates.add(queue.state());
            }
            return new State(status, deviceFeaturesSel, driverFeaturesSel, driverFeatures, driverFeaturesBeyond64, ackedFeatures, queueSel,
                interruptStatus, configGeneration, needsReset, failureReason, queueStates);
        }
    }

    /**
     * Takes over {@code state} (from {@link #state()} of a transport of the same device kind, over a copy of its guest
     * memory) before the guest runs: a device that was live is activated again, here.
     */
    public void restore(final State state)
    {
        synchronized (device)
        {
            if (state.queues().size() != queues.length)
            {
                throw new IllegalArgumentException("transport state has " + state.queues().size() + " queues, device " + device.name()
                    + " has " + queues.length);
            }
            reset();
            for (int i = 0; i < queues.length; i++)
            {
                queues[i].restore(state.queues().get(i));
            }
            status = state.status();
            deviceFeaturesSel = state.deviceFeaturesSel();
            driverFeaturesSel = state.driverFeaturesSel();
            driverFeatures = state.driverFeatures();
            driverFeaturesBeyond64 = state.driverFeaturesBeyond64();
            ackedFeatures = state.ackedFeatures();
            queueSel = state.queueSel();
            interruptStatus = state.interruptStatus();
            configGeneration = state.configGeneration();
            needsReset = state.needsReset();
            failureReason = state.failureReason();
            if ((status & STATUS_DRIVER_OK) != 0 && !needsReset)
            {
                activate();
            }
        }
    }

    Virtqueue queue(final int index)
    {
        return queues[index];
    }

    @Override
    public String toString()
    {
        synchronized (device)
        {
            return "VirtioMmioTransport: device=" + device.name() + " status=" + Virtqueue.hex(status) + " acked_features="
                + Virtqueue.hex(ackedFeatures) + " needs_reset=" + needsReset + " failures=" + failures
                + " ignored_accesses=" + ignoredAccesses + " interrupt_status=" + interruptStatus;
        }
    }

    /**
     * {@link #toString()} and each queue's indices on both sides ({@link Virtqueue#describeBothSides()}): reads guest
     * memory, so only while it is mapped (the caller keeps the VM from being released meanwhile).
     */
    public String describeBothSides()
    {
        synchronized (device)
        {
            final StringBuilder text = new StringBuilder(toString());
            for (final Virtqueue queue : queues)
            {
                text.append(" [").append(queue.describeBothSides()).append(']');
            }
            return text.toString();
        }
    }

    private int readRegister(final int offset)
    {
        final Virtqueue queue = selectedQueue();
        switch (offset)
        {
            case MAGIC_VALUE_OFFSET:
                return MAGIC_VALUE;
            case VERSION_OFFSET:
                return VERSION;
            case DEVICE_ID_OFFSET:
                return device.deviceId();
            case VENDOR_ID_OFFSET:
                return VENDOR_ID;
            case DEVICE_FEATURES_OFFSET:
                return deviceFeaturesSel == 0 ? (int)device.deviceFeatures()
                    : deviceFeaturesSel == 1 ? (int)(device.deviceFeatures() >>> 32) : 0;
            case QUEUE_NUM_MAX_OFFSET:
                return queue == null ? 0 : queue.maxSize();
            case QUEUE_NUM_OFFSET:
                return queue == null ? 0 : queue.size();
            case QUEUE_READY_OFFSET:
                return queue != null && queue.isReady() ? 1 : 0;
            case INTERRUPT_STATUS_OFFSET:
                return interruptStatus;
            case STATUS_OFFSET:
                return status;
            case QUEUE_DESC_LOW_OFFSET:
                return queue == null ? 0 : (int)queue.descriptorTableAddress();
            case QUEUE_DESC_HIGH_OFFSET:
                return queue == null ? 0 : (int)(queue.descriptorTableAddress() >>> 32);
            case QUEUE_DRIVER_LOW_OFFSET:
                return queue == null ? 0 : (int)queue.availRingAddress();
            case QUEUE_DRIVER_HIGH_OFFSET:
                return queue == null ? 0 : (int)(queue.availRingAddress() >>> 32);
            case QUEUE_DEVICE_LOW_OFFSET:
                return queue == null ? 0 : (int)queue.usedRingAddress();
            case QUEUE_DEVICE_HIGH_OFFSET:
                return queue == null ? 0 : (int)(queue.usedRingAddress() >>> 32);
            case SHM_LEN_LOW_OFFSET:
            case SHM_LEN_HIGH_OFFSET:
            case SHM_BASE_LOW_OFFSET:
            case SHM_BASE_HIGH_OFFSET:
                // All ones: no shared memory region with the selected id (the spec's "does not exist").
                return NO_SHARED_MEMORY;
            case CONFIG_GENERATION_OFFSET:
                return configGeneration;
            default:
                // Write-only registers, reserved offsets.
                ignoredAccesses++;
                return 0;
        }
    }

    private void writeRegister(final int offset, final int value)
    {
        switch (offset)
        {
            case DEVICE_FEATURES_SEL_OFFSET:
                deviceFeaturesSel = value;
                break;
            case DRIVER_FEATURES_OFFSET:
                writeDriverFeatures(value);
                break;
            case DRIVER_FEATURES_SEL_OFFSET:
                driverFeaturesSel = value;
                break;
            case QUEUE_SEL_OFFSET:
                queueSel = value;
                break;
            case QUEUE_NUM_OFFSET:
            {
                final Virtqueue queue = configurableQueue();
                if (queue != null)
                {
                    queue.size(value);
                }
                break;
            }
            case QUEUE_READY_OFFSET:
                writeQueueReady(value);
                break;
            case QUEUE_NOTIFY_OFFSET:
                notifyQueue(value);
                break;
            case INTERRUPT_ACK_OFFSET:
                interruptStatus &= ~value;
                break;
            case STATUS_OFFSET:
                writeStatus(value);
                break;
            case QUEUE_DESC_LOW_OFFSET:
            case QUEUE_DESC_HIGH_OFFSET:
            case QUEUE_DRIVER_LOW_OFFSET:
            case QUEUE_DRIVER_HIGH_OFFSET:
            case QUEUE_DEVICE_LOW_OFFSET:
            case QUEUE_DEVICE_HIGH_OFFSET:
                writeQueueAddress(offset, value);
                break;
            case SHM_SEL_OFFSET:
                // Every id reads as absent, so which one is selected does not matter.
                break;
            default:
                // Read-only registers, reserved offsets.
                ignoredAccesses++;
                break;
        }
    }

    private void readConfig(final int offset, final MutableDirectBuffer data, final int index, final int length)
    {
        if (!isConfigAccess(offset, length))
        {
            ignoredAccesses++;
            data.setMemory(index, length, (byte)0);
            return;
        }
        try
        {
            device.readConfig(offset, data, index, length);
        }
        catch (final RuntimeException ex)
        {
            data.setMemory(index, length, (byte)0);
            deviceError("config_read", ex);
        }
    }

    private void writeConfig(final int offset, final DirectBuffer data, final int index, final int length)
    {
        if (!isConfigAccess(offset, length))
        {
            ignoredAccesses++;
            return;
        }
        try
        {
            device.writeConfig(offset, data, index, length);
        }
        catch (final RuntimeException ex)
        {
            deviceError("config_write", ex);
        }
    }

    private boolean isConfigAccess(final int offset, final int length)
    {
        return (length == 1 || length == 2 || length == 4 || length == 8) && offset <= device.configSize() - length;
    }

    private void writeDriverFeatures(final int value)
    {
        if ((status & STATUS_FEATURES_OK) != 0)
        {
            // Features are fixed once FEATURES_OK is set.
            ignoredAccesses++;
            return;
        }
        final long bits = value & 0xffff_ffffL;
        if (driverFeaturesSel == 0)
        {
            driverFeatures = (driverFeatures & 0xffff_ffff_0000_0000L) | bits;
        }
        else if (driverFeaturesSel == 1)
        {
            driverFeatures = (driverFeatures & 0xffff_ffffL) | (bits << 32);
        }
        else if (bits != 0)
        {
            // Bits 64 and up: never offered, so accepting one refuses FEATURES_OK.
            driverFeaturesBeyond64 = true;
        }
    }

    /** The selected queue if its registers may be written now (it exists and is not ready), else null (counted). */
    private Virtqueue configurableQueue()
    {
        final Virtqueue queue = selectedQueue();
        if (queue == null || queue.isReady())
        {
            ignoredAccesses++;
            return null;
        }
        return queue;
    }

    private Virtqueue selectedQueue()
    {
        return queueSel >= 0 && queueSel < queues.length ? queues[queueSel] : null;
    }

    private void writeQueueAddress(final int offset, final int value)
    {
        final Virtqueue queue = configurableQueue();
        if (queue == null)
        {
            return;
        }
        final boolean high = (offset & REGISTER_WIDTH) != 0;
        switch (offset & ~REGISTER_WIDTH)
        {
            case QUEUE_DESC_LOW_OFFSET:
                queue.descriptorTableAddress(withHalf(queue.descriptorTableAddress(), value, high));
                break;
            case QUEUE_DRIVER_LOW_OFFSET:
                queue.availRingAddress(withHalf(queue.availRingAddress(), value, high));
                break;
            default:
                queue.usedRingAddress(withHalf(queue.usedRingAddress(), value, high));
                break;
        }
    }

    private static long withHalf(final long address, final int value, final boolean high)
    {
        final long bits = value & 0xffff_ffffL;
        return high ? (address & 0xffff_ffffL) | (bits << 32) : (address & 0xffff_ffff_0000_0000L) | bits;
    }

    private void writeQueueReady(final int value)
    {
        final Virtqueue queue = selectedQueue();
        if (queue == null || (value != 0 && value != 1) || needsReset)
        {
            ignoredAccesses++;
            return;
        }
        if (value == 0)
        {
            queue.disable();
        }
        else if (!queue.isReady())
        {
            queue.enable();
        }
    }

    private void writeStatus(final int value)
    {
        if (value == 0)
        {
            reset();
            return;
        }
        final int requested = value & STATUS_DRIVER_BITS;
        if ((status & STATUS_DRIVER_BITS & ~requested) != 0 || requested != (value & ~STATUS_DEVICE_NEEDS_RESET))
        {
            // Clearing a bit other than by a reset, or setting an undefined one.
            ignoredAccesses++;
            return;
        }
        final int added = requested & ~status;
        status |= added & (STATUS_ACKNOWLEDGE | STATUS_DRIVER | STATUS_FAILED);
        if ((added & STATUS_FEATURES_OK) != 0 && featuresAcceptable())
        {
            ackedFeatures = driverFeatures;
            status |= STATUS_FEATURES_OK;
        }
        if ((added & STATUS_FAILED) != 0)
        {
            // The driver gave up on the device: stop touching its rings until it resets.
            haltQueues();
        }
        if ((added & STATUS_DRIVER_OK) != 0 && (status & STATUS_FEATURES_OK) != 0 && !needsReset)
        {
            status |= STATUS_DRIVER_OK;
            activate();
        }
    }

    private boolean featuresAcceptable()
    {
        final long offered = device.deviceFeatures();
        final boolean acceptable = !driverFeaturesBeyond64 && (driverFeatures & ~offered) == 0
            && VirtioFeatures.has(driverFeatures, VirtioFeatures.VIRTIO_F_VERSION_1) && device.acceptsFeatures(driverFeatures);
        if (!acceptable)
        {
            LOG.debug("virtio.features_refused device={} offered={} driver={} beyond_64={}", device.name(),
                Virtqueue.hex(offered), Virtqueue.hex(driverFeatures), driverFeaturesBeyond64);
        }
        return acceptable;
    }

    private void activate()
    {
        context = new ActiveContext();
        try
        {
            device.activate(context);
        }
        catch (final RuntimeException ex)
        {
            deviceError("activate", ex);
        }
    }

    private void reset()
    {
        if (context != null)
        {
            context.valid = false;
            context = null;
        }
        try
        {
            device.reset();
        }
        catch (final RuntimeException ex)
        {
            LOG.error("virtio.device_error device={} during=reset", device.name(), ex);
        }
        for (final Virtqueue queue : queues)
        {
            queue.reset();
        }
        status = 0;
        deviceFeaturesSel = 0;
        driverFeaturesSel = 0;
        driverFeatures = 0;
        driverFeaturesBeyond64 = false;
        ackedFeatures = 0;
        queueSel = 0;
        interruptStatus = 0;
        needsReset = false;
        failureReason = null;
    }

    private boolean isLive()
    {
        return context != null && !needsReset && (status & STATUS_FAILED) == 0;
    }

    private void haltQueues()
    {
        for (final Virtqueue queue : queues)
        {
            queue.halt();
        }
    }

    private void raise(final int interruptBit)
    {
        interruptStatus |= interruptBit;
        interrupt.trigger();
    }

    /** A guest error: one log line, DEVICE_NEEDS_RESET, queues halted, config-change interrupt. */
    private void fail(final String reason)
    {
        if (needsReset)
        {
            return;
        }
        needsReset = true;
        failureReason = reason;
        failures++;
        status |= STATUS_DEVICE_NEEDS_RESET;
        haltQueues();
        if (failures <= WARNED_FAILURE_LIMIT)
        {
            LOG.warn("virtio.needs_reset device={} failures={} reason=\"{}\"", device.name(), failures, reason);
        }
        else
        {
            LOG.debug("virtio.needs_reset device={} failures={} reason=\"{}\"", device.name(), failures, reason);
        }
        raise(INTERRUPT_CONFIG_CHANGE);
    }

    /** A bug in the device, not the guest: still contained to this device, so one VM cannot take down the VMM. */
    private void deviceError(final String during, final RuntimeException ex)
    {
        LOG.error("virtio.device_error device={} during={}", device.name(), during, ex);
        fail("device error: during=" + during + " error=" + ex.getClass().getSimpleName());
    }

    private final class QueueOwner implements Virtqueue.Owner
    {
        @Override
        public void queueFailed(final Virtqueue queue, final String reason)
        {
            fail(reason);
        }

        @Override
        public void usedBuffersAvailable(final Virtqueue queue)
        {
            raise(INTERRUPT_USED_BUFFER);
        }
    }

    /** One activation; a device that kept it past a reset finds its calls ignored. */
    private final class ActiveContext implements VirtioContext
    {
        boolean valid = true;

        @Override
        public long ackedFeatures()
        {
            return ackedFeatures;
        }

        @Override
        public Virtqueue queue(final int index)
        {
            return queues[index];
        }

        @Override
        public GuestMemory memory()
        {
            return memory;
        }

        @Override
        public void configChanged()
        {
            if (valid)
            {
                configGeneration++;
                raise(INTERRUPT_CONFIG_CHANGE);
            }
        }

        @Override
        public void fail(final String reason)
        {
            if (valid)
            {
                VirtioMmioTransport.this.fail(reason);
            }
        }
    }
}
