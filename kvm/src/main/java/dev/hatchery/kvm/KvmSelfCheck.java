package dev.hatchery.kvm;

import java.nio.charset.StandardCharsets;

import org.agrona.concurrent.UnsafeBuffer;

/**
 * Proves this process can run a guest: a 16-bit real-mode program computes 2 + 2 and writes the
 * answer and "OK" to port 0x3f8, then halts. Each byte reaches the host as a KVM_EXIT_IO.
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

    /** What the guest did. */
    public record Result(int apiVersion, String output, int ioExits, String lastExit, long elapsedNanos)
    {
    }

    private KvmSelfCheck()
    {
    }

    public static Result run(final Kvm kvm)
    {
        final long start = System.nanoTime();
        try (KvmVm vm = kvm.createVm();
             GuestMemory memory = GuestMemory.anonymous(MEMORY_SIZE))
        {
            memory.view(CODE_ADDRESS, PROGRAM.length).putBytes(0, PROGRAM);
            vm.setUserMemoryRegion(0, 0, MEMORY_SIZE, memory.hostAddress());
            try (KvmVcpu vcpu = vm.createVcpu(0))
            {
                final SpecialRegs sregs = new SpecialRegs();
                vcpu.getSregs(sregs);
                sregs.segmentBase(SpecialRegs.Segment.CS, 0, 0);
                vcpu.setSregs(sregs);
                vcpu.setRegs(new Regs().set(Regs.Reg.RIP, CODE_ADDRESS).set(Regs.Reg.RFLAGS, 0x2));

                final StringBuilder output = new StringBuilder();
                int ioExits = 0;
                for (int i = 0; i < MAX_EXITS; i++)
                {
                    final int exit = vcpu.run();
                    if (exit != ExitReason.IO)
                    {
                        return new Result(kvm.apiVersion(), output.toString(), ioExits, ExitReason.name(exit), System.nanoTime() - start);
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
