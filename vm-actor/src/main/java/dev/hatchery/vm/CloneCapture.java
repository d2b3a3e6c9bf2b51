package dev.hatchery.vm;

import java.util.concurrent.CompletableFuture;

import dev.hatchery.config.VmSpec;
import dev.hatchery.devices.I8042;
import dev.hatchery.devices.Serial8250;
import dev.hatchery.devices.virtio.VirtioMmioTransport;
import dev.hatchery.kernel.PreparedKernel;
import dev.hatchery.kvm.ChipState;
import dev.hatchery.kvm.GuestClock;
import dev.hatchery.kvm.VcpuState;

/**
 * The pending capture of one clone template VM: {@link #image()} completes with the {@link CloneImage} once the
 * template's vCPU thread captured it at the guest's ready point, or fails with why there is none (the template ended
 * first: its outcome and console tail say how).
 */
final class CloneCapture
{
    private static final int CONSOLE_TAIL = 2000;

    private final String templateId;
    private final VmSpec cloneSpec;
    private final PreparedKernel kernel;
    private final int[] msrIndices;
    private final long startNanos = System.nanoTime();
    private final CompletableFuture<CloneImage> image = new CompletableFuture<>();

    CloneCapture(final String templateId, final VmSpec cloneSpec, final PreparedKernel kernel, final int[] msrIndices)
    {
        this.templateId = templateId;
        this.cloneSpec = cloneSpec;
        this.kernel = kernel;
        this.msrIndices = msrIndices.clone();
    }

    CompletableFuture<CloneImage> image()
    {
        return image;
    }

    /** On the template's vCPU thread, which is stopped and consistent: everything a clone restores. */
    void take(final VmShell shell, final Serial8250.State serial, final I8042.State i8042, final VmNetwork network, final String console)
    {
        final VcpuState vcpu = VcpuState.capture(shell.vcpu(), msrIndices);
        final ChipState chips = shell.kvmVm().captureChips();
        final GuestClock clock = shell.kvmVm().captureClock();
        final String name = "hatchery-clone-" + templateId;
        // With a network, the device's event loop could move a frame into guest memory while it is copied: both are taken
        // while the device is quiet, so the queues' positions match the rings in the copy.
        final NetworkAndMemory taken = network == null
            ? new NetworkAndMemory(null, CloneImage.captureMemory(name, shell.memory()))
            : network.whileQuiet(transport -> new NetworkAndMemory(transport, CloneImage.captureMemory(name, shell.memory())));
        final CloneImage captured = new CloneImage(cloneSpec, kernel, taken.memory().memory(), vcpu, chips, clock, serial, i8042,
            taken.network(), taken.memory().bytes(), System.nanoTime() - startNanos, console);
        if (!image.complete(captured))
        {
            captured.close();
        }
    }

    private record NetworkAndMemory(VirtioMmioTransport.State network, CloneImage.Captured memory)
    {
    }

    void fail(final Throwable cause)
    {
        image.completeExceptionally(cause);
    }

    /** The template VM ended: if it was not captured, there never will be an image. */
    void ended(final VmOutcome outcome, final String console)
    {
        final String tail = console.length() > CONSOLE_TAIL ? console.substring(console.length() - CONSOLE_TAIL) : console;
        image.completeExceptionally(new IllegalStateException("template VM " + templateId + " ended before its guest reached the clone ready point: "
            + outcome.kind() + " " + outcome.reason() + "; the guest must run Hatchery's /init (it stops at the ready point with "
            + VmSpec.CLONE_CMDLINE_WORD + "); console tail: " + tail.replace('\n', '|')));
    }
}
