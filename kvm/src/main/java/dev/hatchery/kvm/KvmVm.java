package dev.hatchery.kvm;

/** A VM file descriptor (KVM_CREATE_VM): VM-wide setup, memory slots, and the factory for its vCPUs. */
public final class KvmVm implements AutoCloseable
{
    // Layouts (linux/kvm.h, x86-64) pinned against this machine's headers by NativeLayoutTest.
    /** struct kvm_userspace_memory_region */
    static final int REGION_SIZE = 32;
    static final int REGION_SLOT_OFFSET = 0;
    static final int REGION_FLAGS_OFFSET = 4;
    static final int REGION_GUEST_PHYS_ADDR_OFFSET = 8;
    static final int REGION_MEMORY_SIZE_OFFSET = 16;
    static final int REGION_USERSPACE_ADDR_OFFSET = 24;
    /** struct kvm_irq_level */
    static final int IRQ_LEVEL_SIZE = 8;
    static final int IRQ_LEVEL_IRQ_OFFSET = 0;
    static final int IRQ_LEVEL_LEVEL_OFFSET = 4;
    /** struct kvm_pit_config */
    static final int PIT_CONFIG_SIZE = 64;
    static final int PIT_CONFIG_FLAGS_OFFSET = 0;
    public static final int KVM_PIT_SPEAKER_DUMMY = 1;

    private final int fd;
    private final int vcpuMmapSize;
    /** struct kvm_irq_level, reused: interrupt lines are raised on the hot path by device emulation. */
    private final Scratch irqLevel = new Scratch(IRQ_LEVEL_SIZE);
    private boolean closed;

    KvmVm(final int fd, final int vcpuMmapSize)
    {
        this.fd = fd;
        this.vcpuMmapSize = vcpuMmapSize;
    }

    public void setTssAddr(final long address)
    {
        Syscalls.ioctl(fd, KvmIoctls.KVM_SET_TSS_ADDR, address, "KVM_SET_TSS_ADDR", "addr", hex(address));
    }

    public void createIrqchip()
    {
        Syscalls.ioctl(fd, KvmIoctls.KVM_CREATE_IRQCHIP, 0, "KVM_CREATE_IRQCHIP");
    }

    public void createPit2(final int flags)
    {
        final Scratch config = new Scratch(PIT_CONFIG_SIZE);
        config.buffer.putInt(PIT_CONFIG_FLAGS_OFFSET, flags);
        Syscalls.ioctl(fd, KvmIoctls.KVM_CREATE_PIT2, config.address(), "KVM_CREATE_PIT2", "flags", flags);
    }

    public void setUserMemoryRegion(final int slot, final long guestPhysAddr, final long size, final long hostAddress)
    {
        final Scratch region = new Scratch(REGION_SIZE);
        region.buffer.putInt(REGION_SLOT_OFFSET, slot);
        region.buffer.putInt(REGION_FLAGS_OFFSET, 0);
        region.buffer.putLong(REGION_GUEST_PHYS_ADDR_OFFSET, guestPhysAddr);
        region.buffer.putLong(REGION_MEMORY_SIZE_OFFSET, size);
        region.buffer.putLong(REGION_USERSPACE_ADDR_OFFSET, hostAddress);
        Syscalls.ioctl(fd, KvmIoctls.KVM_SET_USER_MEMORY_REGION, region.address(), "KVM_SET_USER_MEMORY_REGION",
            "slot", slot, "guest_phys_addr", hex(guestPhysAddr), "size", size);
    }

    /** KVM_IRQ_LINE: drives an interrupt line of the in-kernel PIC/IOAPIC high (1) or low (0). */
    public synchronized void irqLine(final int irq, final int level)
    {
        irqLevel.buffer.putInt(IRQ_LEVEL_IRQ_OFFSET, irq);
        irqLevel.buffer.putInt(IRQ_LEVEL_LEVEL_OFFSET, level);
        Syscalls.ioctl(fd, KvmIoctls.KVM_IRQ_LINE, irqLevel.address(), "KVM_IRQ_LINE", "irq", irq, "level", level);
    }

    public KvmVcpu createVcpu(final int id)
    {
        final int vcpuFd = Syscalls.ioctl(fd, KvmIoctls.KVM_CREATE_VCPU, id, "KVM_CREATE_VCPU", "id", id);
        try
        {
            return new KvmVcpu(vcpuFd, id, vcpuMmapSize);
        }
        catch (final RuntimeException ex)
        {
            Syscalls.close(vcpuFd);
            throw ex;
        }
    }

    int fd()
    {
        return fd;
    }

    /** The in-kernel PIC, IOAPIC and PIT as they are now (see {@link ChipState}). */
    public ChipState captureChips()
    {
        return ChipState.capture(this);
    }

    /** The VM's kvmclock as it is now (see {@link GuestClock}). */
    public GuestClock captureClock()
    {
        return GuestClock.capture(this);
    }

    @Override
    public void close()
    {
        if (!closed)
        {
            closed = true;
            Syscalls.close(fd);
        }
    }

    static String hex(final long value)
    {
        return "0x" + Long.toHexString(value);
    }

    /**
     * KVM_IOEVENTFD with datamatch: a guest write of {@code length} bytes equal to {@code datamatch} at
     * {@code mmioAddress} signals {@code eventFd} inside KVM instead of exiting to us (virtio QueueNotify,
     * datamatch = queue index). The same address, length and datamatch twice fails with EEXIST.
     */
    public void ioeventfd(final long mmioAddress, final int length, final long datamatch, final EventFd eventFd)
    {
        ioeventfd(mmioAddress, length, datamatch, eventFd, KvmIoeventfd.FLAG_DATAMATCH);
    }

    /** Undoes {@link #ioeventfd} given the same arguments; ENOENT when there is no such registration. */
    public void deassignIoeventfd(final long mmioAddress, final int length, final long datamatch, final EventFd eventFd)
    {
        ioeventfd(mmioAddress, length, datamatch, eventFd, KvmIoeventfd.FLAG_DATAMATCH | KvmIoeventfd.FLAG_DEASSIGN);
    }

    /**
     * KVM_IRQFD: a signal on {@code eventFd} raises interrupt {@code gsi} (edge) inside KVM without an ioctl
     * from us. Needs the in-kernel irqchip ({@link #createIrqchip()}); an eventfd already bound fails with EBUSY.
     */
    public void irqfd(final EventFd eventFd, final int gsi)
    {
        irqfd(eventFd, gsi, 0);
    }

    public void deassignIrqfd(final EventFd eventFd, final int gsi)
    {
        irqfd(eventFd, gsi, KvmIrqfd.FLAG_DEASSIGN);
    }

    private void ioeventfd(final long mmioAddress, final int length, final long datamatch, final EventFd eventFd, final int flags)
    {
        final KvmIoeventfd request = new KvmIoeventfd(datamatch, mmioAddress, length, eventFd.fd(), flags);
        Syscalls.ioctl(fd, KvmIoctls.KVM_IOEVENTFD, request.address(), "KVM_IOEVENTFD", "addr", hex(mmioAddress), "len", length,
            "datamatch", datamatch, "fd", eventFd.fd(), "flags", hex(flags));
    }

    private void irqfd(final EventFd eventFd, final int gsi, final int flags)
    {
        final KvmIrqfd request = new KvmIrqfd(eventFd.fd(), gsi, flags);
        Syscalls.ioctl(fd, KvmIoctls.KVM_IRQFD, request.address(), "KVM_IRQFD", "gsi", gsi, "fd", eventFd.fd(), "flags", hex(flags));
    }

    /** Argument struct for a one-off VM ioctl. */
    private static final class Scratch extends NativeStruct
    {
        Scratch(final int size)
        {
            super(size);
        }
    }
}
