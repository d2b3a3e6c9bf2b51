package dev.hatchery.orchestrator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import dev.hatchery.config.VmSpec;
import dev.hatchery.orchestrator.report.BatchReport;
import dev.hatchery.orchestrator.report.ProcessResources;
import dev.hatchery.vm.GuestFiles;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Host-aware admission on real KVM: guests that write every page of their RAM, in a batch asking for more of them at
 * once than the host memory budget holds. The batch runs throttled to what fits, every VM boots, and the process's
 * resident memory never grows by more than the budget while the guests touch their memory.
 */
class MemoryBudgetIT
{
    private static final int MEM_MIB = 128;
    private static final long BUDGET_MIB = 600;
    private static final long OVERHEAD_MIB = 8;
    /** The guest writes from 2 MiB (above its code at 1 MiB and the boot structures below) to the end of its RAM. */
    private static final int FIRST_TOUCHED = 0x200000;

    @TempDir
    Path dir;

    /**
     * 64-bit code: write one word into every 4 KiB page of RAM from 2 MiB to the end, then write 123 to the boot-complete
     * device and idle: {@code mov edi,2M; l: mov [rdi],edi; add edi,4K; cmp edi,end; jb l; mov eax,0xd0000000;
     * mov byte [rax],123; cli; hlt; jmp hlt}.
     */
    static byte[] touchEveryPage(final int ramBytes)
    {
        final ByteBuffer code = ByteBuffer.allocate(64).order(ByteOrder.LITTLE_ENDIAN)
            .put((byte)0xbf).putInt(FIRST_TOUCHED)
            .put((byte)0x89).put((byte)0x3f)
            .put((byte)0x81).put((byte)0xc7).putInt(0x1000)
            .put((byte)0x81).put((byte)0xff).putInt(ramBytes)
            .put((byte)0x72).put((byte)0xf0)
            .put((byte)0xb8).putInt(0xd0000000)
            .put((byte)0xc6).put((byte)0x00).put((byte)123)
            .put(dev.hatchery.kernel.MinimalElf.IDLE_FOREVER);
        final byte[] bytes = new byte[code.position()];
        code.flip().get(bytes);
        return bytes;
    }

    @Test
    void shouldThrottleABatchToTheMemoryBudgetWhileItsGuestsTouchAllTheirRam() throws Exception
    {
        final Config config = ConfigFactory.parseString("hatchery.limits.memory-budget = " + BUDGET_MIB + " MiB\n"
            + "hatchery.limits.per-vm-overhead = " + OVERHEAD_MIB + " MiB").withFallback(ConfigFactory.load());
        final Path toucher = GuestFiles.write(dir, "toucher.elf", GuestFiles.elf64(0x100000, touchEveryPage(MEM_MIB << 20)));
        final VmSpec spec = VmSpec.builder().kernel(toucher).memMib(MEM_MIB).tripleFaultIsStop(true).bootTimeout(Duration.ofMinutes(5))
            .conclude();
        final AtomicBoolean running = new AtomicBoolean(true);
        final AtomicLong peakRss = new AtomicLong();
        try (Hatchery hatchery = Hatchery.start(config, KernelCatalog.fromEnvironment(System.getenv())))
        {
            final long baseline = ProcessResources.currentRssBytes();
            final Thread sampler = new Thread(() ->
            {
                while (running.get())
                {
                    peakRss.accumulateAndGet(ProcessResources.currentRssBytes(), Math::max);
                    try
                    {
                        Thread.sleep(10);
                    }
                    catch (final InterruptedException ex)
                    {
                        return;
                    }
                }
            }, "rss-sampler");
            sampler.start();

            final BatchReport report = hatchery.run(new BatchRequest("toucher", spec, 12, 8, true));

            running.set(false);
            sampler.join();
            final long fits = BUDGET_MIB / (MEM_MIB + OVERHEAD_MIB);
            assertEquals(12, report.booted(), report::toString);
            assertEquals(fits, report.concurrency(), "asked for 8 at once, the budget holds " + fits);
            final long grownMib = (peakRss.get() - baseline) >> 20;
            System.out.printf("memory_budget.batch budget_mib=%d vms_at_once=%d peak_rss_growth_mib=%d touched_per_vm_mib=%d%n", BUDGET_MIB,
                report.concurrency(), grownMib, MEM_MIB - FIRST_TOUCHED / (1 << 20));
            assertTrue(grownMib <= BUDGET_MIB, "resident memory grew by " + grownMib + " MiB while guests touched their RAM; budget "
                + BUDGET_MIB + " MiB");
            assertTrue(grownMib >= (fits - 1) * (MEM_MIB / 2), "the guests did touch their memory: " + grownMib + " MiB");
        }
        finally
        {
            running.set(false);
        }
    }
}
