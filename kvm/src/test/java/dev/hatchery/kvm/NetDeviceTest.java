package dev.hatchery.kvm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** Reads only: every network namespace has a loopback interface, and reading needs no privileges. */
class NetDeviceTest
{
    private static final String MISSING = "hatchnone9";

    @Test
    void shouldFindTheLoopbackInterface()
    {
        assertTrue(NetDevice.exists("lo"));
        assertTrue(NetDevice.index("lo") > 0);
        assertTrue(NetDevice.list("lo").contains("lo"));
        assertEquals(NetDevice.IFF_LOOPBACK, NetDevice.flags("lo") & NetDevice.IFF_LOOPBACK);
        assertFalse(NetDevice.isTap("lo"));
    }

    @Test
    void shouldNotFindAnInterfaceThatDoesNotExist()
    {
        assertFalse(NetDevice.exists(MISSING));
        assertEquals(0, NetDevice.index(MISSING));
        assertEquals(0, NetDevice.list(MISSING).size());
        assertFalse(NetDevice.isTap(MISSING));
        assertFalse(NetDevice.deletePersistentTap(MISSING));
    }

    @Test
    void shouldNameTheInterfaceWhenItDoesNotExist()
    {
        final NativeCallException ex = assertThrows(NativeCallException.class, () -> NetDevice.flags(MISSING));

        assertEquals("SIOCGIFFLAGS failed: name=hatchnone9 errno=19 (ENODEV)", ex.getMessage());
    }

    @Test
    void shouldRejectAnInvalidNameBeforeAnySystemCall()
    {
        assertThrows(IllegalArgumentException.class, () -> NetDevice.flags("no/slash"));
        assertThrows(IllegalArgumentException.class, () -> Tap.open("much-too-long-name"));
        assertThrows(IllegalArgumentException.class, () -> NetDevice.deletePersistentTap(""));
    }
}
