package dev.hatchery.devices;

import static dev.hatchery.devices.Serial8250.IER_DLM;
import static dev.hatchery.devices.Serial8250.IIR_FCR;
import static dev.hatchery.devices.Serial8250.LCR;
import static dev.hatchery.devices.Serial8250.LSR;
import static dev.hatchery.devices.Serial8250.MCR;
import static dev.hatchery.devices.Serial8250.MSR;
import static dev.hatchery.devices.Serial8250.RBR_THR_DLL;
import static dev.hatchery.devices.Serial8250.SCR;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class Serial8250Test
{
    private final ConsoleLog console = new ConsoleLog(1024);
    private final CountingTrigger interrupts = new CountingTrigger();
    private final Serial8250 serial = new Serial8250(console, interrupts);
    private final UnsafeBuffer data = new UnsafeBuffer(new byte[8]);

    @Test
    void shouldBeDetectedAs16550aWhenProbedLikeLinuxAutoconfig()
    {
        // IER test: cleared bits read back clear, the four enable bits stick.
        final int savedIer = read(IER_DLM);
        write(IER_DLM, 0x00);
        assertEquals(0x00, read(IER_DLM) & 0x0f);
        write(IER_DLM, 0x0f);
        assertEquals(0x0f, read(IER_DLM) & 0x0f);
        write(IER_DLM, savedIer);

        // Loopback test: MCR LOOP | OUT2 | RTS must show DCD | CTS in MSR.
        final int savedMcr = read(MCR);
        final int savedLcr = read(LCR);
        write(MCR, 0x1a);
        assertEquals(0x90, read(MSR) & 0xf0);
        write(MCR, savedMcr);

        // FIFO detection: EFR write in config mode B, then FCR enable; IIR bits 7:6 == 3 means 16550A.
        write(LCR, 0xbf);
        write(IIR_FCR, 0x00);
        write(LCR, 0x00);
        write(IIR_FCR, 0x01);
        assertEquals(3, read(IIR_FCR) >> 6);

        // Not an ST16C650V1 or a UART with an EFR: offset 2 never reads 0 in config modes.
        write(LCR, 0x80);
        assertEquals(0xc1, read(IIR_FCR));
        write(LCR, 0xbf);
        assertEquals(0xc1, read(IIR_FCR));

        // Not a TI 16750: no 64-byte FIFO bit (IIR bit 5).
        write(LCR, 0x00);
        write(IIR_FCR, 0x21);
        assertEquals(6, read(IIR_FCR) >> 5);
        write(IIR_FCR, 0x01);

        // Not an XScale: the UUE bit does not stick.
        write(IER_DLM, 0x40);
        assertEquals(0x00, read(IER_DLM) & 0x40);
        write(IER_DLM, 0x00);

        write(LCR, savedLcr);
        assertEquals(0x08, savedMcr);
        assertEquals(0x03, savedLcr);
        // The startup "LSR safety check": a missing port reads 0xff.
        assertEquals(0x60, read(LSR));
        assertEquals("", console.text());
    }

    @ParameterizedTest
    @CsvSource({"0x00", "0x55", "0xaa", "0xff"})
    void shouldReadBackScratchRegisterWhenWritten(final int value)
    {
        write(SCR, value);

        assertEquals(value, read(SCR));
    }

    @Test
    void shouldRoundTripDivisorLatchWhenDlabIsSet()
    {
        write(IER_DLM, 0x03);
        write(LCR, 0x83);
        write(RBR_THR_DLL, 0x01);
        write(IER_DLM, 0x00);

        assertEquals(0x01, read(RBR_THR_DLL));
        assertEquals(0x00, read(IER_DLM));

        write(LCR, 0x03);
        assertEquals(0x03, read(IER_DLM));
        assertEquals(0x03, read(LCR));
        assertEquals("", console.text());
    }

    @Test
    void shouldReadPowerOnDivisorWhenNeverProgrammed()
    {
        write(LCR, 0x80);

        assertEquals(12, read(RBR_THR_DLL));
        assertEquals(0, read(IER_DLM));
    }

    @Test
    void shouldAppendToConsoleWhenThrIsWritten()
    {
        for (final byte b : "Linux version 6.1\n".getBytes(StandardCharsets.UTF_8))
        {
            assertEquals(0x60, read(LSR) & 0x60);
            write(RBR_THR_DLL, b & 0xff);
        }

        assertEquals("Linux version 6.1\n", console.text());
        assertEquals(0, interrupts.count);
    }

    @Test
    void shouldRaiseAndReportThrEmptyWhenThriIsEnabled()
    {
        write(IER_DLM, Serial8250.IER_THRI);

        assertEquals(1, interrupts.count);
        assertEquals(0x02, read(IIR_FCR));
        assertEquals(0x01, read(IIR_FCR));
        assertEquals(1, interrupts.count);
    }

    @Test
    void shouldRaiseAgainWhenThriIsDisabledAndReEnabledLikeLinuxThreTest()
    {
        write(IIR_FCR, 0x01);
        write(IER_DLM, Serial8250.IER_THRI);
        final int iir1 = read(IIR_FCR);
        write(IER_DLM, 0);
        write(IER_DLM, Serial8250.IER_THRI);
        final int iir2 = read(IIR_FCR);
        write(IER_DLM, 0);

        assertEquals(0xc2, iir1);
        assertEquals(0xc2, iir2);
        assertEquals(2, interrupts.count);
        assertEquals(0xc1, read(IIR_FCR));
    }

    @Test
    void shouldNotRaiseAgainWhenIerIsRewrittenWithThriAlreadySet()
    {
        write(IER_DLM, Serial8250.IER_THRI);
        read(IIR_FCR);

        write(IER_DLM, Serial8250.IER_THRI);

        assertEquals(1, interrupts.count);
        assertEquals(0x01, read(IIR_FCR));
    }

    @Test
    void shouldRaiseThrEmptyAfterEachByteWhenThriIsEnabled()
    {
        write(IER_DLM, Serial8250.IER_THRI);
        assertEquals(0x02, read(IIR_FCR));

        write(RBR_THR_DLL, 'o');
        write(RBR_THR_DLL, 'k');

        assertEquals(3, interrupts.count);
        assertEquals(0x02, read(IIR_FCR));
        assertEquals(0x01, read(IIR_FCR));
        assertEquals("ok", console.text());
    }

    @Test
    void shouldClearPendingThrEmptyWhenThriIsDisabled()
    {
        write(IER_DLM, Serial8250.IER_THRI);
        write(IER_DLM, 0);

        assertEquals(0x01, read(IIR_FCR));
        write(RBR_THR_DLL, 'x');
        assertEquals(1, interrupts.count);
        assertEquals(0x01, read(IIR_FCR));
    }

    @Test
    void shouldReportFifoBitsOnlyWhileFifosAreEnabled()
    {
        assertEquals(0x01, read(IIR_FCR));
        write(IIR_FCR, 0x07);
        assertEquals(0xc1, read(IIR_FCR));
        write(IIR_FCR, 0x00);
        assertEquals(0x01, read(IIR_FCR));
    }

    @Test
    void shouldReceiveOwnByteWithoutTouchingConsoleOrIrqWhenInLoopback()
    {
        write(IER_DLM, Serial8250.IER_RDI | Serial8250.IER_THRI);
        read(IIR_FCR);
        final int raisedBefore = interrupts.count;
        write(MCR, 0x10);

        write(RBR_THR_DLL, 'Z');

        assertEquals(0x61, read(LSR));
        assertEquals(0x04, read(IIR_FCR));
        assertEquals('Z', read(RBR_THR_DLL));
        assertEquals(0x60, read(LSR));
        assertEquals(0x02, read(IIR_FCR));
        assertEquals("", console.text());
        assertEquals(raisedBefore, interrupts.count);
    }

    @Test
    void shouldDropReceivedByteWhenFcrClearsTheReceiver()
    {
        write(MCR, 0x10);
        write(RBR_THR_DLL, 'Z');

        write(IIR_FCR, 0x03);

        assertEquals(0x60, read(LSR));
    }

    @ParameterizedTest
    @CsvSource({"0x10, 0x00", "0x11, 0x20", "0x12, 0x10", "0x13, 0x30", "0x14, 0x40", "0x18, 0x80", "0x1f, 0xf0"})
    void shouldMirrorModemControlIntoModemStatusWhenInLoopback(final String mcr, final String msrHighBits)
    {
        write(MCR, Integer.decode(mcr));

        assertEquals(Integer.decode(msrHighBits).intValue(), read(MSR) & 0xf0);
    }

    @Test
    void shouldReportPeerConnectedWhenNotInLoopback()
    {
        write(MCR, 0x00);

        assertEquals(0xb0, read(MSR));
    }

    @Test
    void shouldHandleOnlyFirstByteWhenAccessIsWiderThanOneByte()
    {
        write(SCR, 0x5a);
        data.setMemory(0, 8, (byte)0);

        serial.read(SCR, data, 0, 4);

        assertEquals(0xffffff5a, data.getInt(0));

        data.putInt(0, 0x00004241);
        serial.write(RBR_THR_DLL, data, 0, 4);
        assertEquals("A", console.text());
    }

    @Test
    void shouldReadAllOnesAndIgnoreWritesWhenOffsetIsOutsideTheEightPorts()
    {
        serial.read(8, data, 0, 1);
        assertEquals((byte)0xff, data.getByte(0));

        data.putByte(0, (byte)'x');
        serial.write(8, data, 0, 1);
        assertEquals("", console.text());
    }

    @Test
    void shouldCarryWhatTheGuestProgrammedIntoAnotherUartThroughItsState()
    {
        write(Serial8250.SCR, 0x5a);
        write(Serial8250.LCR, 0x1b);
        write(Serial8250.IIR_FCR, Serial8250.FCR_ENABLE_FIFO);
        write(Serial8250.IER_DLM, Serial8250.IER_THRI);
        final Serial8250 copy = new Serial8250(new ConsoleLog(64), new CountingTrigger());

        copy.restore(serial.state());

        assertEquals(serial.state(), copy.state());
        assertEquals(0x5a, copy.state().scratch());
        assertEquals(Serial8250.IER_THRI, copy.state().interruptEnable());
        assertEquals(0x1b, copy.state().lineControl());
        assertTrue(copy.state().fifosEnabled());
    }

    private int read(final int offset)
    {
        serial.read(offset, data, 0, 1);
        return data.getByte(0) & 0xff;
    }

    private void write(final int offset, final int value)
    {
        data.putByte(0, (byte)value);
        serial.write(offset, data, 0, 1);
    }

    private static final class CountingTrigger implements InterruptTrigger
    {
        int count;

        @Override
        public void trigger()
        {
            count++;
        }
    }
}
