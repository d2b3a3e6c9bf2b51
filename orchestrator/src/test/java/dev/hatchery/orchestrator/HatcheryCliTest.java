package dev.hatchery.orchestrator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;

import org.junit.jupiter.api.Test;

class HatcheryCliTest
{
    private final StringWriter err = new StringWriter();
    private final StringWriter out = new StringWriter();

    private int run(final String... args)
    {
        return HatcheryCli.commandLine().setErr(new PrintWriter(err)).setOut(new PrintWriter(out)).execute(args);
    }

    @Test
    void shouldRejectAnInvalidSpecBeforeOpeningAnything()
    {
        final int status = run("boot", "--kernel", "/nonexistent/vmlinux", "--mem-mib", "4");

        assertEquals(2, status);
        assertEquals("hatchery: invalid mem-mib: mem-mib=4: must be between 16 and 3328 (guest RAM stays below the MMIO gap at 0xd0000000)",
            err.toString().trim());
    }

    @Test
    void shouldRefuseMoreThanOneVcpuClearly()
    {
        final int status = run("batch", "--kernel", "/nonexistent/vmlinux", "--vcpus", "2");

        assertEquals(2, status);
        assertEquals("hatchery: invalid vcpus: vcpus=2: only 1 vCPU per VM is supported", err.toString().trim());
    }

    @Test
    void shouldReportAMissingKernelFileByPath()
    {
        final int status = run("boot", "--kernel", "/nonexistent/vmlinux");

        assertEquals(2, status);
        assertTrue(err.toString().startsWith("hatchery: cannot read kernel image: path=/nonexistent/vmlinux"), err.toString());
    }

    @Test
    void shouldListTheCommandsInItsHelp()
    {
        assertEquals(0, run("--help"));

        assertTrue(out.toString().contains("kvm-check"), out.toString());
        assertTrue(out.toString().contains("boot"), out.toString());
    }

    @Test
    void shouldRefuseCrowdLevelsThatAreNotAscendingBeforeStartingAnything()
    {
        final int status = run("crowd", "--alive", "100,0");

        assertEquals(2, status);
        assertTrue(err.toString().contains("--alive levels must be 0 or more and ascending (idle VMs are only added between levels): --alive [100, 0]"),
            err.toString());
    }

    @Test
    void shouldRefuseANegativeShellDepth()
    {
        final int status = run("batch", "--kernel", "flat", "--shells", "-1");

        assertEquals(2, status);
        assertTrue(err.toString().contains("--shells must be 0 (off) or more: --shells -1"), err.toString());
    }

    @Test
    void shouldRefuseAnUnknownSpawnModeNamingTheChoices()
    {
        final int status = run("batch", "--kernel", "/nonexistent/vmlinux", "--spawn", "fork");

        assertEquals(2, status);
        assertTrue(err.toString().contains("--spawn"), err.toString());
        assertTrue(err.toString().contains("boot") && err.toString().contains("clone"), err.toString());
    }

    @Test
    void shouldRefuseANetworkedCloneWithAFixedMacBeforeOpeningAnything()
    {
        final int status = run("boot", "--kernel", "/nonexistent/vmlinux", "--spawn", "clone", "--network", "--mac", "02:00:00:00:00:01");

        assertEquals(2, status);
        assertTrue(err.toString().contains("every clone gets a MAC of its own"), err.toString());
    }

    @Test
    void shouldRefuseAnEmptyAliveCount()
    {
        assertEquals(2, run("alive", "--count", "0"));
        assertTrue(err.toString().contains("--count must be at least 1"), err.toString());
    }
}
