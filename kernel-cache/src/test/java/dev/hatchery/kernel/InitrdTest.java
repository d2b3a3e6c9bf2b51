package dev.hatchery.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class InitrdTest
{
    private static final long RAM_32_MIB = 32L << 20;
    /** The test kernel ends at 0x1402000, already page aligned. */
    private final ElfKernel kernel = ElfKernel.parse("vmlinux", ElfImageBuilder.kernel().build());

    @Test
    void shouldStartOnThePageAfterTheKernelWhateverItsSize()
    {
        assertEquals(0x1402000, Initrd.place(kernel, 1, RAM_32_MIB));
        assertEquals(0x1402000, Initrd.place(kernel, 0x1000, RAM_32_MIB));
        assertEquals(0x1402000, Initrd.place(kernel, 0x1001, RAM_32_MIB));
    }

    @Test
    void shouldStartRightAtKernelEndWhenItJustFits()
    {
        assertEquals(0x1402000, Initrd.place(kernel, RAM_32_MIB - 0x1402000, RAM_32_MIB));
    }

    @Test
    void shouldNameSizesAndFixWhenOneByteTooLarge()
    {
        final KernelImageException ex = assertThrows(KernelImageException.class,
            () -> Initrd.place(kernel, RAM_32_MIB - 0x1402000 + 1, RAM_32_MIB));

        assertEquals("initrd does not fit: initrd_size=12574721 kernel_end=0x1402000 low_ram_end=0x2000000;"
            + " give the VM more memory (--mem-mib)", ex.getMessage());
    }

    @Test
    void shouldKeepClearOfThePageHoldingTheKernelEndWhenKernelEndIsUnaligned()
    {
        final ElfKernel unaligned = ElfKernel.parse("vmlinux", new ElfImageBuilder().load(0x1000000, 0x10, 0x1000010).build());

        assertEquals(0x2001000, Initrd.place(unaligned, 0x1000, 0x2002000));
        final KernelImageException ex = assertThrows(KernelImageException.class, () -> Initrd.place(unaligned, 0x1000, 0x2001800));


        assertEquals("initrd does not fit: initrd_size=4096 kernel_end=0x2000010 low_ram_end=0x2001800;"
            + " give the VM more memory (--mem-mib)", ex.getMessage());
    }


    @Test
    void shouldRejectWhenInitrdIsLargerThanAllOfLowRam()
    {
        final KernelImageException ex = assertThrows(KernelImageException.class, () -> Initrd.place(kernel, 1L << 32, RAM_32_MIB));

        assertEquals("initrd does not fit: initrd_size=4294967296 kernel_end=0x1402000 low_ram_end=0x2000000;"
            + " give the VM more memory (--mem-mib)", ex.getMessage());
    }

    @Test
    void shouldNotDependOnRamSizeWhenItFits()
    {
        assertEquals(0x1402000, Initrd.place(kernel, 0x1000, 8L << 30));
    }
}
