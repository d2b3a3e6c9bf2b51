package dev.hatchery.kernel;

import dev.hatchery.config.HugePages;
import dev.hatchery.config.MemoryMode;
import dev.hatchery.config.VmSpec;
import dev.hatchery.kvm.GuestMemory;
import dev.hatchery.kvm.MemoryTemplate;

/**
 * A kernel ready for many VMs: the prefetched boot image and its sealed memory template, built once.
 * Spawning a VM then takes two steps, timed separately: {@link #allocate} fresh RAM, {@link #load} the
 * boot memory into it (map the template, or copy the image).
 */
public final class PreparedKernel implements AutoCloseable
{
    private final BootImage image;
    private final MemoryTemplate template;
    private final long ramSize;

    private PreparedKernel(final BootImage image, final MemoryTemplate template)
    {
        this.image = image;
        this.template = template;
        this.ramSize = image.ramSize();
    }

    /** Builds the template from an image: the one-time, per-kernel cost. */
    public static PreparedKernel prepare(final String name, final BootImage image)
    {
        final MemoryTemplate template = MemoryTemplate.create("hatchery-" + name, image.ramSize(), image.contentEnd(), image::writeTo);
        return new PreparedKernel(image, template);
    }

    public BootImage image()
    {
        return image;
    }

    public MemoryTemplate template()
    {
        return template;
    }

    public long entry()
    {
        return image.entry();
    }

    /** Fresh, zeroed RAM for one VM, of the size this kernel was prepared for. */
    public GuestMemory allocate(final HugePages hugePages)
    {
        return GuestMemory.anonymous(ramSize, hugePages);
    }

    /** Puts the boot memory into a VM's fresh RAM: one private mapping of the template, or a full copy. */
    public void load(final GuestMemory memory, final MemoryMode mode)
    {
        if (mode == MemoryMode.TEMPLATE)
        {
            memory.mapTemplate(template);
        }
        else
        {
            image.writeTo(memory);
        }
    }

    /**
     * Copies the boot structures' pages ({@link BootLayout#FIRST_WRITTEN_PAGES}) into {@code memory}'s own pages
     * now, after {@link #load}: a write to each, of the byte already there. With a template mapping each page is
     * shared until written, and breaking that sharing later, while the guest runs, costs an MMU-notifier round
     * through every VM of the process; done ahead (for a VM shell), the guest's first writes find private pages.
     * Ten pages per VM. With a copied image the pages are private already and this changes nothing.
     */
    public void prefaultFirstWrittenPages(final GuestMemory memory)
    {
        for (final long page : BootLayout.FIRST_WRITTEN_PAGES)
        {
            final org.agrona.concurrent.UnsafeBuffer first = memory.view(page, 1);
            first.putByte(0, first.getByte(0));
        }
    }

    /**
     * Replaces the command line in one VM's memory after {@link #load}: the cmdline page and cmdline_size in
     * the zero page. Per-VM arguments (a network address) go here, so the shared template stays the same for
     * every VM; with a template mapping only those two pages are copied. Validated like any command line.
     */
    public void writeCmdline(final GuestMemory memory, final String cmdline)
    {
        Cmdline.replace(memory, cmdline);
    }

    /** Checks that a spec asks for exactly what this kernel was prepared for. */
    public boolean fits(final VmSpec spec)
    {
        return spec.memBytes() == ramSize && spec.cmdline().equals(image.cmdline());
    }

    /** Bytes held for this kernel: the template's file plus the prefetched image on the heap. */
    public long bytesHeld()
    {
        return template.size() + image.heapBytes();
    }

    /** Closes the template's memfd; VMs that mapped it keep their mappings. */
    @Override
    public void close()
    {
        template.close();
    }
}
