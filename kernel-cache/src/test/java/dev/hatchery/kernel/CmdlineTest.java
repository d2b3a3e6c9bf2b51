package dev.hatchery.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

class CmdlineTest
{
    @ParameterizedTest
    @ValueSource(strings = {"", "console=ttyS0 reboot=k panic=1 8250.nr_uarts=1",
        "virtio_mmio.device=4K@0xd0001000:5 ~!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}"})
    void shouldAcceptPrintableAsciiWhenItFits(final String cmdline)
    {
        Cmdline.validate(cmdline);
    }

    @Test
    void shouldAcceptTheLongestLineWhenItFillsTheLimitWithItsNul()
    {
        Cmdline.validate("x".repeat(BootLayout.CMDLINE_MAX_BYTES - 1));
    }

    @Test
    void shouldNameLengthAndLimitWhenLineIsTooLong()
    {
        final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class,
            () -> Cmdline.validate("x".repeat(BootLayout.CMDLINE_MAX_BYTES)));

        assertEquals("kernel command line is too long: length=2048 limit=2047 (2048 bytes including the terminating NUL);"
            + " shorten it", ex.getMessage());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("unprintable")
    void shouldNameIndexAndCharacterWhenLineIsNotPrintableAscii(final String cmdline, final int index, final String character)
    {
        final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, () -> Cmdline.validate(cmdline));

        assertEquals("kernel command line has a character that is not printable ASCII: index=" + index + " char=" + character
            + "; use characters 0x20..0x7e only (separate parameters with spaces)", ex.getMessage());
    }

    static Stream<Arguments> unprintable()
    {
        return Stream.of(
            Arguments.of("console=ttyS0\npanic=1", 13, "0xa"),
            Arguments.of("quiet\0init=/x", 5, "0x0"),
            Arguments.of("root=/dev/vd\u00e4", 12, "0xe4"),
            Arguments.of("a\tb", 1, "0x9"),
            Arguments.of("del\u007f", 3, "0x7f"));
    }

    @Test
    void shouldReplaceTheLineAndItsSizeInTheZeroPage()
    {
        try (dev.hatchery.kvm.GuestMemory memory = dev.hatchery.kvm.GuestMemory.anonymous(4L << 20))
        {
            Cmdline.write(memory, "console=ttyS0 a-long-template-line");

            Cmdline.replace(memory, "console=ttyS0 ip=1");

            final byte[] bytes = new byte[19];
            memory.view(BootLayout.CMDLINE_ADDRESS, 19).getBytes(0, bytes);
            assertEquals("console=ttyS0 ip=1", new String(bytes, 0, 18, java.nio.charset.StandardCharsets.US_ASCII));
            assertEquals(0, bytes[18]);
            assertEquals(19, memory.view(BootLayout.ZERO_PAGE_ADDRESS + BootParams.CMDLINE_SIZE_OFFSET, 4)
                .getInt(0, java.nio.ByteOrder.LITTLE_ENDIAN));
        }
    }

    @Test
    void shouldRejectAReplacementThatIsTooLongBeforeWritingIt()
    {
        try (dev.hatchery.kvm.GuestMemory memory = dev.hatchery.kvm.GuestMemory.anonymous(4L << 20))
        {
            assertThrows(IllegalArgumentException.class, () -> Cmdline.replace(memory, "x".repeat(BootLayout.CMDLINE_MAX_BYTES)));
            assertEquals(0, memory.view(BootLayout.CMDLINE_ADDRESS, 1).getByte(0));
        }
    }
}
