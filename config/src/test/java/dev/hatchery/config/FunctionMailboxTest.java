package dev.hatchery.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;

import org.junit.jupiter.api.Test;

class FunctionMailboxTest
{
    private static VmSpec.Builder function()
    {
        return VmSpec.builder().kernel(Path.of("/k/vmlinux")).cmdline("quiet").memMib(128).spawn(SpawnMode.CLONE);
    }

    @Test
    void shouldSitAtTheTopOfGuestRamWithRoomForRequestResponseAndStderr()
    {
        final FunctionMailbox mailbox = FunctionMailbox.atTopOf(128L << 20, 1 << 20);

        assertEquals(0x1000 + 2 * (1 << 20) + 0x1000, mailbox.regionBytes());
        assertEquals((128L << 20) - mailbox.regionBytes(), mailbox.address());
        assertEquals(0x1000, mailbox.requestOffset());
        assertEquals(0x1000 + (1 << 20), mailbox.responseOffset());
        assertEquals(0x1000 + 2 * (1 << 20), mailbox.stderrOffset());
        assertEquals("memmap=0x202000$0x7dfe000 hatchery.function=0x7dfe000,1048576", mailbox.cmdlineWords());
    }

    @Test
    void shouldPutTheMailboxOnAFunctionsCommandLineOnceAndKeepItThroughItsTemplate()
    {
        final VmSpec spec = function().payloadLimit(1 << 20).conclude();
        final VmSpec template = spec.cloneTemplateSpec();

        assertEquals("quiet memmap=0x202000$0x7dfe000 hatchery.function=0x7dfe000,1048576", spec.cmdline());
        assertEquals(spec, spec.toBuilder().conclude(), "concluding again does not add the words twice");
        assertEquals(spec.cmdline() + " hatchery.clone=1", template.cmdline());
        assertEquals(spec.mailbox(), template.mailbox());
        assertNull(VmSpec.builder().kernel(Path.of("/k/vmlinux")).conclude().mailbox());
    }

    @Test
    void shouldRefuseAMailboxWithoutCloneOrOfABadSizeOrWordsSetByHand()
    {
        final InvalidSpecException boot = assertThrows(InvalidSpecException.class,
            () -> function().spawn(SpawnMode.BOOT).payloadLimit(4096).conclude());
        final InvalidSpecException odd = assertThrows(InvalidSpecException.class, () -> function().payloadLimit(5000).conclude());
        final InvalidSpecException huge = assertThrows(InvalidSpecException.class, () -> function().payloadLimit(64 << 20).conclude());
        final InvalidSpecException byHand = assertThrows(InvalidSpecException.class,
            () -> function().cmdline("hatchery.function=0x1000,4096").conclude());

        assertEquals(SpecField.PAYLOAD_LIMIT, boot.field());
        assertTrue(boot.getMessage().contains("use spawn=clone"), boot.getMessage());
        assertTrue(odd.getMessage().contains("multiple of 4096"), odd.getMessage());
        assertTrue(huge.getMessage().contains("at most half of guest RAM"), huge.getMessage());
        assertEquals(SpecField.CMDLINE, byHand.field());
    }
}
