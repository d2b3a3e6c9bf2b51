package dev.hatchery.kernel;

import static java.nio.ByteOrder.LITTLE_ENDIAN;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

class E820Test
{
    private final UnsafeBuffer zeroPage = new UnsafeBuffer(new byte[BootParams.LENGTH]);

    @Test
    void shouldEndHighMemoryAtTheMmioGapWhenRamIsLargerThanTheGapStart()
    {
        assertEquals(3, E820.write(zeroPage, 8L << 30));

        assertEquals(3, zeroPage.getByte(0x1e8));
        assertEquals(0x100000, zeroPage.getLong(0x2d0 + 40, LITTLE_ENDIAN));
        assertEquals(0xd0000000L - 0x100000, zeroPage.getLong(0x2d0 + 48, LITTLE_ENDIAN));
        assertEquals(1, zeroPage.getInt(0x2d0 + 56, LITTLE_ENDIAN));
    }

    @Test
    void shouldEndHighMemoryAtRamEndWhenRamIsBelowTheGap()
    {
        E820.write(zeroPage, 2L << 20);

        assertEquals(0x100000, zeroPage.getLong(0x2d0 + 48, LITTLE_ENDIAN));
    }
}
