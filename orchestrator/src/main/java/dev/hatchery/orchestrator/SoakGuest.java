package dev.hatchery.orchestrator;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

import dev.hatchery.config.GuestPhysicalMap;
import dev.hatchery.kernel.MinimalElf;
import dev.hatchery.orchestrator.report.BatchReport;

/**
 * The guests of the fault soak: well-behaved ones and every way a guest misbehaves that the VMM must survive, each with
 * the outcome the service must account it with. The misbehaving ones are a few instructions each (64-bit, entered at
 * 1 MiB in the boot state, RAM and the device gap identity-mapped).
 */
enum SoakGuest
{
    /** The bundled flat guest: signals boot-complete at once. */
    GOOD_FLAT("booted", 48),
    /** The bundled Linux guest (slow in the lab: few of them). */
    GOOD_LINUX("booted", 2),
    /** Halts with interrupts off and never signals: the boot timeout ends it. */
    SILENT("timed out (boot_timeout)", 10),
    /** Spins in place and never signals: the boot timeout must kick it out of KVM_RUN. */
    SPINNING("timed out (boot_timeout)", 10),
    /** ud2 before any IDT: #UD, #DF, triple fault, before boot-complete. */
    EARLY_TRIPLE_FAULT("failed (triple_fault)", 10),
    /** Writes 20 000 bytes to the serial port (each a VM exit), then signals: its console (4 KiB here) keeps the tail. */
    SERIAL_FLOOD("booted", 10),
    /** Sets up its virtio-net queue 0 at addresses outside its RAM and kicks it, then signals: the device, not the VMM, fails. */
    HOSTILE_VIRTQUEUE("booted (device needs reset)", 10);

    private static final int LOAD_ADDRESS = (int)MinimalElf.LOAD_ADDRESS;
    private static final int FLOOD_BYTES = 20_000;

    private final String expected;
    /** Share of a soak's VMs, in percent. */
    private final int percent;

    SoakGuest(final String expected, final int percent)
    {
        this.expected = expected;
        this.percent = percent;
    }

    String expected()
    {
        return expected;
    }

    int percent()
    {
        return percent;
    }

    /** Whether a batch of this guest ended as it must: every VM, exactly once, with this guest's outcome. */
    boolean accountedRight(final BatchReport report, final int count)
    {
        if (report.count() != count || report.booted() + report.failed() + report.timedOut() + report.cancelled() != count)
        {
            return false;
        }
        return switch (this)
        {
            case GOOD_FLAT, GOOD_LINUX, SERIAL_FLOOD, HOSTILE_VIRTQUEUE -> report.booted() == count;
            case SILENT, SPINNING -> report.timedOut() == count && onlyFailure(report, "boot_timeout");
            case EARLY_TRIPLE_FAULT -> report.failed() == count && onlyFailure(report, "triple_fault");
        };
    }

    private static boolean onlyFailure(final BatchReport report, final String code)
    {
        return report.failures().size() == 1 && report.failures().get(0).code().equals(code);
    }

    /** The guest's ELF image; null for the bundled kernels (the catalog has them). */
    byte[] image(final long bootDeviceAddress)
    {
        return switch (this)
        {
            case GOOD_FLAT, GOOD_LINUX -> null;
            case SILENT -> MinimalElf.of(LOAD_ADDRESS, MinimalElf.IDLE_FOREVER);
            case SPINNING -> MinimalElf.of(LOAD_ADDRESS, new byte[] {(byte)0xeb, (byte)0xfe});
            case EARLY_TRIPLE_FAULT -> MinimalElf.of(LOAD_ADDRESS, new byte[] {0x0f, 0x0b});
            case SERIAL_FLOOD -> MinimalElf.of(LOAD_ADDRESS, serialFlood(bootDeviceAddress));
            case HOSTILE_VIRTQUEUE -> MinimalElf.of(LOAD_ADDRESS, hostileVirtqueue(bootDeviceAddress));
        };
    }

    /** mov edx,0x3f8; mov ecx,N; l: mov al,'x'; out dx,al; dec ecx; jnz l; then signal and idle. */
    private static byte[] serialFlood(final long bootDeviceAddress)
    {
        final ByteBuffer code = code();
        code.put((byte)0xba).putInt(0x3f8);
        code.put((byte)0xb9).putInt(FLOOD_BYTES);
        code.put((byte)0xb0).put((byte)'x');
        code.put((byte)0xee);
        code.put((byte)0xff).put((byte)0xc9);
        code.put((byte)0x75).put((byte)0xf9);
        return signalAndIdle(code, bootDeviceAddress);
    }

    /**
     * Drives virtio-mmio device 0 as a driver would (reset, ACKNOWLEDGE, DRIVER, VERSION_1, FEATURES_OK), then gives
     * queue 0 rings outside guest RAM, makes it ready, sets DRIVER_OK and notifies it: {@code mov ebx, window} then
     * {@code mov dword [rbx+register], value} for each write.
     */
    private static byte[] hostileVirtqueue(final long bootDeviceAddress)
    {
        final ByteBuffer code = code();
        code.put((byte)0xbb).putInt((int)GuestPhysicalMap.virtioWindow(bootDeviceAddress, 0));
        final int[][] writes = {
            {0x070, 0}, {0x070, 0x1}, {0x070, 0x3}, {0x024, 1}, {0x020, 1}, {0x070, 0xb},
            {0x030, 0}, {0x038, 256}, {0x080, 0xffff_f000}, {0x084, 0}, {0x090, 0xffff_e000}, {0x094, 0}, {0x0a0, 0xffff_d000},
            {0x0a4, 0}, {0x044, 1}, {0x070, 0xf}, {0x050, 0}};
        for (final int[] write : writes)
        {
            code.put((byte)0xc7).put((byte)0x83).putInt(write[0]).putInt(write[1]);
        }
        return signalAndIdle(code, bootDeviceAddress);
    }

    private static ByteBuffer code()
    {
        return ByteBuffer.allocate(512).order(ByteOrder.LITTLE_ENDIAN);
    }

    /** mov eax, boot device; mov byte [rax], 123; cli; hlt; jmp back to hlt. */
    private static byte[] signalAndIdle(final ByteBuffer code, final long bootDeviceAddress)
    {
        code.put((byte)0xb8).putInt((int)bootDeviceAddress);
        code.put((byte)0xc6).put((byte)0x00).put((byte)123);
        code.put(MinimalElf.IDLE_FOREVER);
        final byte[] bytes = new byte[code.position()];
        code.flip().get(bytes);
        return bytes;
    }
}
