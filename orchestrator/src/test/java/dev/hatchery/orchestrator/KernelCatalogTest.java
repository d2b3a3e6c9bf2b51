package dev.hatchery.orchestrator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KernelCatalogTest
{
    @TempDir
    Path dir;

    @Test
    void shouldListTheBundledKernelsThatAreBuilt() throws IOException
    {
        final Path flat = Files.writeString(dir.resolve("flat.elf"), "x");
        final Path vmlinux = Files.writeString(dir.resolve("vmlinux"), "x");
        final Path initramfs = Files.writeString(dir.resolve("initramfs.cpio"), "x");

        final KernelCatalog catalog = KernelCatalog.fromEnvironment(Map.of("HATCHERY_FLAT_ELF", flat.toString(),
            "HATCHERY_VMLINUX", vmlinux.toString(), "HATCHERY_INITRAMFS", initramfs.toString()));

        assertEquals(java.util.Set.of("flat", "linux"), catalog.names());
        assertEquals(new KernelCatalog.Entry("flat", flat, null, "", "", true), catalog.get("flat"));
        assertEquals(initramfs, catalog.get("linux").initrd());
        assertTrue(catalog.get("linux").cmdline().contains("reboot=k"));
        assertTrue(catalog.get("linux").cmdline().contains("8250.nr_uarts=0"));
        assertTrue(catalog.get("linux").consoleCmdline().contains("console=ttyS0"));
    }

    @Test
    void shouldSayAKernelIsNotBuiltWhenItsFilesAreMissing()
    {
        final KernelCatalog catalog = KernelCatalog.fromEnvironment(Map.of());

        final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, () -> catalog.get("linux"));

        assertEquals("kernel 'linux' is not built (HATCHERY_VMLINUX=null HATCHERY_INITRAMFS=null); run through ./hatchery,"
            + " which builds the guest artifacts with guest/build", ex.getMessage());
    }

    @Test
    void shouldNameTheKnownKernelsWhenTheNameIsUnknown() throws IOException
    {
        final Path flat = Files.writeString(dir.resolve("flat.elf"), "x");
        final KernelCatalog catalog = KernelCatalog.fromEnvironment(Map.of("HATCHERY_FLAT_ELF", flat.toString()));

        final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, () -> catalog.get("../etc/passwd"));

        assertEquals("unknown kernel '../etc/passwd': known kernels are flat", ex.getMessage());
    }
}
