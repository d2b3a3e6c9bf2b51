package dev.hatchery.kvm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

/** Real /dev/kvm: fails (never skips) where KVM is unavailable; ./hatchery test runs it natively or in the lab. */
class KvmEventFdIT
{
    /** A QueueNotify register (offset 0x50) of the first virtio-mmio window. */
    private static final long NOTIFY = 0xd0001050L;
    private static final int GSI = 5;

    private static final long MEMORY_SIZE = 0x4000;
    private static final int CODE_ADDRESS = 0x1000;
    private static final int MMIO_ADDRESS = 0x8000;
    /**
     * <pre>
     * mov al, 7 ; mov [0x8000], al ; mov al, 9 ; mov [0x8000], al ; hlt      (16-bit real mode)
     * </pre>
     * 0x8000 is beyond guest memory: both writes are MMIO, and only the first matches the ioeventfd.
     */
    private static final byte[] PROGRAM = {
        (byte)0xb0, 0x07, (byte)0xa2, 0x00, (byte)0x80, (byte)0xb0, 0x09, (byte)0xa2, 0x00, (byte)0x80, (byte)0xf4};

    @Test
    void shouldRegisterAndDeassignAnIoeventfdPerDatamatch()
    {
        try (Kvm kvm = Kvm.open(); KvmVm vm = kvm.createVm(); EventFd queue0 = EventFd.create(); EventFd queue1 = EventFd.create())
        {
            vm.ioeventfd(NOTIFY, 4, 0, queue0);
            vm.ioeventfd(NOTIFY, 4, 1, queue1);

            vm.deassignIoeventfd(NOTIFY, 4, 0, queue0);
            vm.deassignIoeventfd(NOTIFY, 4, 1, queue1);
            vm.ioeventfd(NOTIFY, 4, 0, queue0);
        }
    }

    @Test
    void shouldRefuseADuplicateIoeventfdWithEexist()
    {
        try (Kvm kvm = Kvm.open(); KvmVm vm = kvm.createVm(); EventFd queue0 = EventFd.create())
        {
            vm.ioeventfd(NOTIFY, 4, 0, queue0);

            final KvmException ex = assertThrows(KvmException.class, () -> vm.ioeventfd(NOTIFY, 4, 0, queue0));

            assertEquals("KVM_IOEVENTFD", ex.call());
            assertEquals("EEXIST", ex.errnoName());
            assertEquals("KVM_IOEVENTFD failed: addr=0xd0001050 len=4 datamatch=0 fd=" + queue0.fd() + " flags=0x1 errno=17 (EEXIST)",
                ex.getMessage());
        }
    }

    @Test
    void shouldSayWhatWasNotRegisteredWhenDeassigningNothing()
    {
        try (Kvm kvm = Kvm.open(); KvmVm vm = kvm.createVm(); EventFd queue0 = EventFd.create())
        {
            final KvmException ex = assertThrows(KvmException.class, () -> vm.deassignIoeventfd(NOTIFY, 4, 3, queue0));

            assertEquals("KVM_IOEVENTFD failed: addr=0xd0001050 len=4 datamatch=3 fd=" + queue0.fd() + " flags=0x5 errno=2 (ENOENT)",
                ex.getMessage());
        }
    }

    @Test
    void shouldSignalTheEventFdInsteadOfExitingWhenTheGuestWritesTheMatchingValue()
    {
        try (Kvm kvm = Kvm.open(); KvmVm vm = kvm.createVm(); GuestMemory memory = GuestMemory.anonymous(MEMORY_SIZE);
             EventFd notify = EventFd.create())
        {
            memory.view(CODE_ADDRESS, PROGRAM.length).putBytes(0, PROGRAM);
            vm.setUserMemoryRegion(0, 0, MEMORY_SIZE, memory.hostAddress());
            vm.ioeventfd(MMIO_ADDRESS, 1, 7, notify);
            try (KvmVcpu vcpu = vm.createVcpu(0))
            {
                final SpecialRegs sregs = new SpecialRegs();
                vcpu.getSregs(sregs);
                sregs.segmentBase(SpecialRegs.Segment.CS, 0, 0);
                vcpu.setSregs(sregs);
                vcpu.setRegs(new Regs().set(Regs.Reg.RIP, CODE_ADDRESS).set(Regs.Reg.RFLAGS, 0x2));

                final int first = vcpu.run();
                final KvmRun run = vcpu.kvmRun();
                assertEquals("KVM_EXIT_MMIO", ExitReason.name(first));
                assertEquals(MMIO_ADDRESS, run.mmioAddress());
                assertEquals(9, run.buffer().getByte(run.mmioDataOffset()), "the non-matching write exits");
                assertEquals(1, notify.drain(), "the matching write signalled the eventfd");

                assertEquals("KVM_EXIT_HLT", ExitReason.name(vcpu.run()));
                assertEquals(0, notify.drain());
            }
        }
    }

    @Test
    void shouldRegisterAndDeassignAnIrqfdOnTheInKernelIrqchip()
    {
        try (Kvm kvm = Kvm.open(); KvmVm vm = kvm.createVm(); EventFd interrupt = EventFd.create())
        {
            vm.createIrqchip();
            vm.irqfd(interrupt, GSI);

            final KvmException ex = assertThrows(KvmException.class, () -> vm.irqfd(interrupt, GSI));
            assertEquals("KVM_IRQFD failed: gsi=5 fd=" + interrupt.fd() + " flags=0x0 errno=16 (EBUSY)", ex.getMessage());

            vm.deassignIrqfd(interrupt, GSI);
            vm.irqfd(interrupt, GSI);
            interrupt.signal();
        }
    }
}
