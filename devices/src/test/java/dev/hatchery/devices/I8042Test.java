package dev.hatchery.devices;

import static dev.hatchery.devices.I8042.COMMAND_STATUS_OFFSET;
import static dev.hatchery.devices.I8042.DATA_OFFSET;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class I8042Test
{
    private int resets;
    private final I8042 controller = new I8042(() -> resets++);
    private final UnsafeBuffer data = new UnsafeBuffer(new byte[8]);

    @Test
    void shouldRequestResetOncePerWriteWhenGuestWritesResetCommand()
    {
        write(COMMAND_STATUS_OFFSET, I8042.CMD_RESET_CPU);
        assertEquals(1, resets);

        write(COMMAND_STATUS_OFFSET, I8042.CMD_RESET_CPU);
        assertEquals(2, resets);
    }

    @Test
    void shouldNotRequestResetWhenResetByteGoesToTheDataPort()
    {
        write(DATA_OFFSET, I8042.CMD_RESET_CPU);

        assertEquals(0, resets);
    }

    @Test
    void shouldNotRequestResetWhenResetByteIsTheControlRegisterValue()
    {
        write(COMMAND_STATUS_OFFSET, I8042.CMD_WRITE_CONTROL);
        write(DATA_OFFSET, I8042.CMD_RESET_CPU);

        assertEquals(0, resets);
        write(COMMAND_STATUS_OFFSET, I8042.CMD_READ_CONTROL);
        assertEquals(0xfe, read(DATA_OFFSET));
    }

    @Test
    void shouldReplyPassedWhenSelfTestIsRequested()
    {
        assertEquals(0, read(COMMAND_STATUS_OFFSET) & I8042.STATUS_OUTPUT_FULL);

        write(COMMAND_STATUS_OFFSET, 0xaa);

        assertEquals(I8042.STATUS_OUTPUT_FULL, read(COMMAND_STATUS_OFFSET) & I8042.STATUS_OUTPUT_FULL);
        assertEquals(0x55, read(DATA_OFFSET));
        assertEquals(0, read(COMMAND_STATUS_OFFSET) & I8042.STATUS_OUTPUT_FULL);
        assertEquals(0, read(DATA_OFFSET));
    }

    @Test
    void shouldReplyZeroWhenInterfaceTestIsRequested()
    {
        write(COMMAND_STATUS_OFFSET, 0xab);

        assertEquals(I8042.STATUS_OUTPUT_FULL, read(COMMAND_STATUS_OFFSET) & I8042.STATUS_OUTPUT_FULL);
        assertEquals(0x00, read(DATA_OFFSET));
    }

    @Test
    void shouldReadPowerOnControlRegisterWhenNeverWritten()
    {
        write(COMMAND_STATUS_OFFSET, 0x20);

        assertEquals(0x05, read(DATA_OFFSET));
    }

    @Test
    void shouldRoundTripControlRegisterWhenWrittenThenRead()
    {
        write(COMMAND_STATUS_OFFSET, 0x60);
        assertEquals(I8042.STATUS_AWAITING_COMMAND_DATA, read(COMMAND_STATUS_OFFSET) & I8042.STATUS_AWAITING_COMMAND_DATA);
        write(DATA_OFFSET, 0x47);
        assertEquals(0, read(COMMAND_STATUS_OFFSET) & I8042.STATUS_AWAITING_COMMAND_DATA);

        write(COMMAND_STATUS_OFFSET, 0x20);

        assertEquals(0x47, read(DATA_OFFSET));
        assertEquals(0, read(COMMAND_STATUS_OFFSET) & I8042.STATUS_OUTPUT_FULL);
    }

    @Test
    void shouldRoundTripOutputPortWhenWrittenThenRead()
    {
        write(COMMAND_STATUS_OFFSET, 0xd0);
        assertEquals(0x03, read(DATA_OFFSET));

        write(COMMAND_STATUS_OFFSET, 0xd1);
        write(DATA_OFFSET, 0xdf);
        write(COMMAND_STATUS_OFFSET, 0xd0);

        assertEquals(0xdf, read(DATA_OFFSET));
    }

    @Test
    void shouldSetAndClearDisableBitsWhenKeyboardAndAuxAreDisabledAndEnabled()
    {
        write(COMMAND_STATUS_OFFSET, 0xad);
        write(COMMAND_STATUS_OFFSET, 0xa7);
        write(COMMAND_STATUS_OFFSET, 0x20);
        assertEquals(0x35, read(DATA_OFFSET));

        write(COMMAND_STATUS_OFFSET, 0xae);
        write(COMMAND_STATUS_OFFSET, 0xa8);
        write(COMMAND_STATUS_OFFSET, 0x20);
        assertEquals(0x05, read(DATA_OFFSET));
    }

    @Test
    void shouldAcknowledgeWhenAByteIsSentToTheKeyboard()
    {
        write(DATA_OFFSET, 0xff);

        assertEquals(0xfa, read(DATA_OFFSET));
    }

    @Test
    void shouldReportKeyboardUnlockedWhenIdle()
    {
        assertEquals(0x10, read(COMMAND_STATUS_OFFSET));
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 2, 3})
    void shouldReadAllOnesAndIgnoreWritesWhenPortIsNotTheControllers(final int offset)
    {
        write(offset, I8042.CMD_RESET_CPU);
        write(offset, 0xaa);

        assertEquals(0xff, read(offset));
        assertEquals(0, resets);
        assertEquals(0, read(COMMAND_STATUS_OFFSET) & I8042.STATUS_OUTPUT_FULL);
    }

    private int read(final int offset)
    {
        controller.read(offset, data, 0, 1);
        return data.getByte(0) & 0xff;
    }

    private void write(final int offset, final int value)
    {
        data.putByte(0, (byte)value);
        controller.write(offset, data, 0, 1);
    }

    @Test
    void shouldCarryItsRegistersIntoAnotherControllerThroughItsState()
    {
        write(COMMAND_STATUS_OFFSET, I8042.CMD_WRITE_CONTROL);
        write(DATA_OFFSET, 0x61);
        final I8042 copy = new I8042(() -> resets++);

        copy.restore(controller.state());

        assertEquals(controller.state(), copy.state());
        assertEquals(0x61, copy.state().control());
    }
}
