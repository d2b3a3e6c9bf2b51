package dev.hatchery.vm;

import java.util.Objects;

import dev.hatchery.config.VmSpec;
import dev.hatchery.devices.I8042;
import dev.hatchery.devices.Serial8250;
import dev.hatchery.devices.virtio.VirtioMmioTransport;
import dev.hatchery.kernel.PreparedKernel;
import dev.hatchery.kvm.ChipState;
import dev.hatchery.kvm.GuestClock;
import dev.hatchery.kvm.GuestMemory;
import dev.hatchery.kvm.MemoryTemplate;
import dev.hatchery.kvm.VcpuState;

import org.agrona.concurrent.UnsafeBuffer;

/**
 * A booted VM captured at its clone ready point, from which any number of clones are made: its RAM as a sealed memfd
 * that each clone maps copy-on-write, and everything else a clone restores before it runs (vCPU, interrupt
 * controllers and PIT, kvmclock, the serial port and i8042 as the guest programmed them). Immutable once captured;
 * clones restore from it on any number of threads at once. Owns the memfd (closing it leaves the clones that mapped
 * it running).
 *
 * @param spec          the spec clones must have (spawn=clone); a clone of any other spec is refused
 * @param kernel        the kernel the template booted (the clones' shells are described by it)
 * @param network       the virtio-net transport and queues as the template's guest left them; null without network
 * @param capturedBytes bytes of the template's RAM that were not zero, i.e. what the memfd holds
 * @param prepareNanos  from launching the template VM to the end of the capture
 * @param templateConsole what the template's guest printed up to the ready point
 */
record CloneImage(VmSpec spec, PreparedKernel kernel, MemoryTemplate memory, VcpuState vcpu, ChipState chips, GuestClock clock,
    Serial8250.State serial, I8042.State i8042, VirtioMmioTransport.State network, long capturedBytes, long prepareNanos,
    String templateConsole) implements AutoCloseable
{
    private static final int PAGE = 4096;

    CloneImage
    {
        Objects.requireNonNull(spec, "spec");
        Objects.requireNonNull(kernel, "kernel");
        Objects.requireNonNull(memory, "memory");
        Objects.requireNonNull(vcpu, "vcpu");
        Objects.requireNonNull(chips, "chips");
        Objects.requireNonNull(clock, "clock");
        Objects.requireNonNull(serial, "serial");
        Objects.requireNonNull(i8042, "i8042");
        Objects.requireNonNull(templateConsole, "templateConsole");
        if ((network != null) != spec.network())
        {
            throw new IllegalArgumentException("a networked template has a network state, and only one: spec=" + spec + " network_state="
                + (network != null));
        }
    }

    /**
     * Copies the pages of {@code ram} that are not all zeros into a new sealed memfd of the same size; the zero pages
     * stay holes in the file, so they cost nothing and read as zeros in every clone. Returns the template and how many
     * bytes it holds.
     */
    static Captured captureMemory(final String name, final GuestMemory ram)
    {
        final long[] copied = {0};
        final MemoryTemplate template = MemoryTemplate.create(name, ram.size(), ram.size(), staging ->
        {
            for (long page = 0; page + PAGE <= ram.size(); page += PAGE)
            {
                final UnsafeBuffer source = ram.view(page, PAGE);
                if (!allZero(source))
                {
                    staging.view(page, PAGE).putBytes(0, source, 0, PAGE);
                    copied[0] += PAGE;
                }
            }
        });
        return new Captured(template, copied[0]);
    }

    record Captured(MemoryTemplate memory, long bytes)
    {
    }

    private static boolean allZero(final UnsafeBuffer page)
    {
        for (int i = 0; i < PAGE; i += Long.BYTES)
        {
            if (page.getLong(i) != 0)
            {
                return false;
            }
        }
        return true;
    }

    /** Fails with what differs when {@code requested} is not the spec this image was captured for. */
    void checkFits(final String vmId, final VmSpec requested)
    {
        if (!spec.equals(requested))
        {
            throw new IllegalArgumentException("a clone must have its template's spec: vm=" + vmId + " template_spec=" + spec
                + " requested_spec=" + requested + "; clone with the spec the template was made for, or let the supervisor make a template for this spec");
        }
    }

    @Override
    public void close()
    {
        memory.close();
    }

    @Override
    public String toString()
    {
        return "CloneImage{captured_bytes=" + capturedBytes + " prepare_ms=" + prepareNanos / 1_000_000 + " spec=" + spec + "}";
    }
}
