package dev.hatchery.kvm;

import java.nio.charset.StandardCharsets;

import org.agrona.concurrent.UnsafeBuffer;

/**
 * Proves this process can run guests on a sound KVM: a 16-bit real-mode program computes 2 + 2 and
 * writes the answer and "OK" to port 0x3f8, then halts (each byte reaches the host as a KVM_EXIT_IO);
 * a second one triple-faults, which KVM must report as a shutdown.
 */
public final class KvmSelfCheck
{
    public static final int PORT = 0x3f8;
    private static final long MEMORY_SIZE = 0x10000;
    private static final int CODE_ADDRESS = 0x1000;
    private static final int MAX_EXITS = 64;

    /**
     * <pre>
     * mov dx, 0x3f8 ; mov al, 2 ; add al, 2 ; add al, '0' ; out dx, al
     * mov al, ' ' ; out dx, al ; mov al, 'O' ; out dx, al ; mov al, 'K' ; out dx, al ; hlt
     * </pre>
     */
    private static final byte[] PROGRAM = {
        (byte)0xba, (byte)0xf8, 0x03, (byte)0xb0, 0x02, 0x04, 0x02, 0x04, 0x30, (byte)0xee,
        (byte)0xb0, 0x20, (byte)0xee, (byte)0xb0, 0x4f, (byte)0xee, (byte)0xb0, 0x4b, (byte)0xee, (byte)0xf4};

    /**
     * <pre>
     * lidt [0x2000] ; int3      (32-bit protected mode, flat segments, no paging)
     * </pre>
     * The IDT at 0x2000 has limit 0, so the breakpoint cannot be delivered: #BP, then #GP, then #DF, then
     * a triple fault, which KVM must report as KVM_EXIT_SHUTDOWN. Some nested-virtualisation hosts intercept
     * the #GP and fail to emulate it instead; such a KVM cannot run Linux guests either (the seed's flat
     * guest ends this way on purpose, and Linux's xrstor fault path breaks the same way).
     */
    private static final byte[] TRIPLE_FAULT_PROGRAM = {0x0f, 0x01, 0x1d, 0x00, 0x20, 0x00, 0x00, (byte)0xcc};
    /** Flat 4 GiB 32-bit code and data descriptors; real mode would do, but some broken KVMs spin for seconds there. */
    private static final long CODE32_DESCRIPTOR = 0x00cf9b000000ffffL;
    private static final long DATA32_DESCRIPTOR = 0x00cf93000000ffffL;
    private static final int NULL_IDT_ADDRESS = 0x2000;

    /** What the guest did. {@code exceptionExit} is the exit of the triple-fault program: KVM_EXIT_SHUTDOWN when KVM is sound. */
    public record Result(int apiVersion, String output, int ioExits, String lastExit, String exceptionExit, long elapsedNanos)
    {
        /** True when both guests behaved as real hardware would. */
        public boolean healthy()
        {
            return "4 OK".equals(output) && "KVM_EXIT_HLT".equals(lastExit) && "KVM_EXIT_SHUTDOWN".equals(exceptionExit);
        }
    }

    private KvmSelfCheck()
    {
    }

    public static Result run(final Kvm kvm)
    {
        final long start = System.nanoTime();
        final Io io = runIoProgram(kvm);
        final String exceptionExit = runTripleFaultProgram(kvm);
        return new Result(kvm.apiVersion(), io.output, io.ioExits, io.lastExit, exceptionExit, System.nanoTime() - start);
    }

    private record Io(String output, int ioExits, String lastExit)
    {
    }

    private static String runTripleFaultProgram(final Kvm kvm)
    {
        try (KvmVm vm = kvm.createVm();
             GuestMemory memory = GuestMemory.anonymous(MEMORY_SIZE))
        {
            memory.view(CODE_ADDRESS, TRIPLE_FAULT_PROGRAM.length).putBytes(0, TRIPLE_FAULT_PROGRAM);
            memory.view(NULL_IDT_ADDRESS, 6).setMemory(0, 6, (byte)0);
            vm.setUserMemoryRegion(0, 0, MEMORY_SIZE, memory.hostAddress());
            try (KvmVcpu vcpu = vm.createVcpu(0))
            {
                final SpecialRegs sregs = new SpecialRegs();
                vcpu.getSregs(sregs);
                sregs.segmentFromDescriptor(SpecialRegs.Segment.CS, 0x08, CODE32_DESCRIPTOR);
                sregs.segmentFromDescriptor(SpecialRegs.Segment.DS, 0x10, DATA32_DESCRIPTOR);
                sregs.segmentFromDescriptor(SpecialRegs.Segment.SS, 0x10, DATA32_DESCRIPTOR);
                sregs.cr0(sregs.cr0() | 1);
                vcpu.setSregs(sregs);
                vcpu.setRegs(new Regs().set(Regs.Reg.RIP, CODE_ADDRESS).set(Regs.Reg.RFLAGS, 0x2));
                final int exit = vcpu.run();
                return exit == ExitReason.INTERNAL_ERROR ? ExitReason.name(exit) + " " + vcpu.kvmRun().internalError() : ExitReason.name(exit);
            }
        }
    }

    private static KvmVcpu startInRealMode(final KvmVm vm)
    {
        final KvmVcpu vcpu = vm.createVcpu(0);
        final SpecialRegs sregs = new SpecialRegs();
        vcpu.getSregs(sregs);
        sregs.segmentBase(SpecialRegs.Segment.CS, 0, 0);
        vcpu.setSregs(sregs);
        vcpu.setRegs(new Regs().set(Regs.Reg.RIP, CODE_ADDRESS).set(Regs.Reg.RFLAGS, 0x2));
        return vcpu;
    }

    private static Io runIoProgram(final Kvm kvm)
    {
        try (KvmVm vm = kvm.createVm();
             GuestMemory memory = GuestMemory.anonymous(MEMORY_SIZE))
        {
            memory.view(CODE_ADDRESS, PROGRAM.length).putBytes(0, PROGRAM);
            vm.setUserMemoryRegion(0, 0, MEMORY_SIZE, memory.hostAddress());
            try (KvmVcpu vcpu = startInRealMode(vm))
            {
                final StringBuilder output = new StringBuilder();
                int ioExits = 0;
                for (int i = 0; i < MAX_EXITS; i++)
                {
                    final int exit = vcpu.run();
                    if (exit != ExitReason.IO)
                    {
                        return new Io(output.toString(), ioExits, ExitReason.name(exit));
                    }
                    ioExits++;
                    final KvmRun run = vcpu.kvmRun();
                    if (run.ioIsWrite() && run.ioPort() == PORT && run.ioSize() == 1)
                    {
                        final UnsafeBuffer page = run.buffer();
                        output.append(new String(new byte[] {page.getByte(run.ioDataOffset())}, StandardCharsets.US_ASCII));
                    }
                }
                throw new IllegalStateException("self-check guest did not halt within " + MAX_EXITS + " exits: output=" + output);
            }
        }
    }
}
