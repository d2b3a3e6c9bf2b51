package dev.hatchery.orchestrator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;

import dev.hatchery.config.GuestPhysicalMap;
import dev.hatchery.kernel.ElfKernel;

import org.junit.jupiter.api.Test;

class SoakTest
{
    @Test
    void shouldGiveEachGuestItsShareAndTheGoodFlatGuestsTheRest()
    {
        final Map<SoakGuest, Integer> mix = Soak.mix(1000, java.util.Set.of());

        assertEquals(1000, mix.values().stream().mapToInt(Integer::intValue).sum());
        assertEquals(20, mix.get(SoakGuest.GOOD_LINUX));
        assertEquals(100, mix.get(SoakGuest.HOSTILE_VIRTQUEUE));
        assertEquals(480, mix.get(SoakGuest.GOOD_FLAT));
        assertTrue(Soak.mix(7, java.util.Set.of()).values().stream().allMatch(count -> count >= 1), "at least one of each");
        assertEquals(null, Soak.mix(70, java.util.Set.of(SoakGuest.GOOD_LINUX)).get(SoakGuest.GOOD_LINUX), "a guest left out is not run");
        assertEquals(70, Soak.mix(70, java.util.Set.of(SoakGuest.GOOD_LINUX)).values().stream().mapToInt(Integer::intValue).sum());
    }

    @Test
    void shouldRefuseASoakTooSmallForOneOfEachGuest()
    {
        assertEquals("a soak needs at least 7 VMs (one of each guest): --count 6",
            assertThrows(IllegalArgumentException.class, () -> Soak.mix(6, java.util.Set.of())).getMessage());
    }

    @Test
    void shouldMakeEveryMisbehavingGuestAKernelTheParserTakesEnteredAt1Mib()
    {
        for (final SoakGuest guest : SoakGuest.values())
        {
            final byte[] image = guest.image(GuestPhysicalMap.DEFAULT_BOOT_DEVICE_ADDRESS);
            if (image != null)
            {
                final ElfKernel kernel = ElfKernel.parse(guest.name(), image);
                assertEquals(0x100000, kernel.entry(), guest.name());
            }
        }
    }
}
