package dev.hatchery.kvm;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** Real pagemap reads over real mappings (no KVM needed). */
class PageMapTest
{
    @Test
    void shouldCountOnlyThePagesWrittenToFreshMemory()
    {
        try (PageMap pageMap = PageMap.open(); GuestMemory memory = GuestMemory.anonymous(64L << 20))
        {
            assertEquals(0, pageMap.privatePages(memory));
            for (int page = 0; page < 100; page++)
            {
                memory.view(page * 3L * 4096, 1).putByte(0, (byte)1);
            }

            assertEquals(100, pageMap.privatePages(memory));
        }
    }

    @Test
    void shouldNotCountTemplatePagesReadButCountTheOnesCopiedOnWrite()
    {
        try (MemoryTemplate template = MemoryTemplate.create("pagemap-test", 16L << 20, 1L << 20, staging ->
        {
            for (long offset = 0; offset < (1L << 20); offset += 4096)
            {
                staging.view(offset, 1).putByte(0, (byte)7);
            }
        });
            PageMap pageMap = PageMap.open(); GuestMemory memory = GuestMemory.anonymous(16L << 20))
        {
            memory.mapTemplate(template);
            long sum = 0;
            for (long offset = 0; offset < (1L << 20); offset += 4096)
            {
                sum += memory.view(offset, 1).getByte(0);
            }
            assertEquals(7 * 256, sum);
            assertEquals(0, pageMap.privatePages(memory), "pages only read are the template's, shared");

            memory.view(0, 1).putByte(0, (byte)8);
            memory.view(5 * 4096, 1).putByte(0, (byte)8);
            memory.view(2L << 20, 1).putByte(0, (byte)8);

            assertEquals(3, pageMap.privatePages(memory));
        }
    }
}
