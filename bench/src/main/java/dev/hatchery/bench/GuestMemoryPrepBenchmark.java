package dev.hatchery.bench;

import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import dev.hatchery.config.HugePages;
import dev.hatchery.config.MemoryMode;
import dev.hatchery.config.VmSpec;
import dev.hatchery.kernel.BootImage;
import dev.hatchery.kernel.KernelCache;
import dev.hatchery.kernel.PreparedKernel;
import dev.hatchery.kvm.GuestMemory;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Per-VM preparation of guest memory, up to the point where it could be handed to KVM, for the bundled
 * minimal Linux + initramfs (HATCHERY_VMLINUX, HATCHERY_INITRAMFS; ./hatchery bench sets them):
 * (a) the seed's original (read + parse + copy per VM), (b) its improvement (copy from a prefetched
 * image), (c) Hatchery's copy-on-write template (one private mapping of a sealed memfd).
 * Each operation maps fresh memory and unmaps it again, as a VM's lifetime does.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = "--add-exports=java.base/jdk.internal.misc=ALL-UNNAMED")
public class GuestMemoryPrepBenchmark
{
    private VmSpec spec;
    private BootImage prefetched;
    private KernelCache cache;
    private PreparedKernel prepared;

    @Setup
    public void setUp()
    {
        spec = VmSpec.builder().kernel(Path.of(requiredEnv("HATCHERY_VMLINUX"))).initrd(Path.of(requiredEnv("HATCHERY_INITRAMFS")))
            .cmdline("console=ttyS0 reboot=k panic=1").memMib(VmSpec.DEFAULT_MEM_MIB).conclude();
        prefetched = BootImage.load(spec);
        cache = new KernelCache();
        prepared = cache.prepare(spec);
    }

    @TearDown
    public void tearDown()
    {
        cache.close();
    }

    /** (a) The seed's original: read and parse the kernel for every VM, then copy it in. */
    @Benchmark
    public long readParseAndCopyPerVm()
    {
        try (GuestMemory memory = GuestMemory.anonymous(spec.memBytes()))
        {
            BootImage.load(spec).writeTo(memory);
            return memory.hostAddress();
        }
    }

    /** (b) The seed's improvement: the kernel was read once; each VM copies it from memory. */
    @Benchmark
    public long copyFromPrefetchedImage()
    {
        try (GuestMemory memory = GuestMemory.anonymous(spec.memBytes()))
        {
            prefetched.writeTo(memory);
            return memory.hostAddress();
        }
    }

    /** (c) Hatchery: fresh RAM plus one MAP_PRIVATE | MAP_FIXED mapping of the kernel's sealed template. */
    @Benchmark
    public long mapTemplate()
    {
        try (GuestMemory memory = prepared.allocate(HugePages.OFF))
        {
            prepared.load(memory, MemoryMode.TEMPLATE);
            return memory.hostAddress();
        }
    }

    static String requiredEnv(final String name)
    {
        final String value = System.getenv(name);
        if (value == null)
        {
            throw new IllegalStateException(name + " is not set; run benchmarks with ./hatchery bench, which builds the guest artifacts");
        }
        return value;
    }
}
