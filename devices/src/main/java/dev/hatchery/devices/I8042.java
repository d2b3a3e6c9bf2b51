package dev.hatchery.devices;

import java.util.Objects;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

/**
 * i8042 keyboard controller at ports 0x60-0x64, modelled on Firecracker's: there is no keyboard behind
 * it. It exists because a guest booted with {@code reboot=k} resets by writing 0xFE to port 0x64, which
 * is how a guest reboot reaches the VMM, and because Linux's i8042 driver probes the controller
 * (self-test, control register read and write) before it gets there. Replies are polled from the data
 * port; no keyboard interrupt is raised. Port 0x61 (offset 1) belongs to the PIT/speaker, not to this
 * chip: offsets 1-3 read 0xff and ignore writes.
 */
public final class I8042 implements Device
{
    public static final int BASE_PORT = 0x60;
    public static final int PORT_COUNT = 5;
    public static final int CMD_RESET_CPU = 0xfe;

    static final int DATA_OFFSET = 0;
    static final int COMMAND_STATUS_OFFSET = 4;

    static final int CMD_READ_CONTROL = 0x20;
    static final int CMD_WRITE_CONTROL = 0x60;
    static final int CMD_DISABLE_AUX = 0xa7;
    static final int CMD_ENABLE_AUX = 0xa8;
    static final int CMD_SELF_TEST = 0xaa;
    static final int CMD_INTERFACE_TEST = 0xab;
    static final int CMD_DISABLE_KEYBOARD = 0xad;
    static final int CMD_ENABLE_KEYBOARD = 0xae;
    static final int CMD_READ_OUTPUT_PORT = 0xd0;
    static final int CMD_WRITE_OUTPUT_PORT = 0xd1;

    static final int SELF_TEST_PASSED = 0x55;
    static final int INTERFACE_TEST_PASSED = 0x00;
    /** What a keyboard answers to a byte sent to it; we have none, but a driver waiting for the answer moves on. */
    static final int KEYBOARD_ACK = 0xfa;

    static final int STATUS_OUTPUT_FULL = 0x01;
    static final int STATUS_AWAITING_COMMAND_DATA = 0x08;
    static final int STATUS_KEYBOARD_UNLOCKED = 0x10;

    static final int CONTROL_KEYBOARD_INTERRUPT = 0x01;
    static final int CONTROL_POST_PASSED = 0x04;
    static final int CONTROL_KEYBOARD_DISABLED = 0x10;
    static final int CONTROL_AUX_DISABLED = 0x20;

    /** Output port at power-on: reset line inactive (bit 0) and A20 enabled (bit 1). */
    static final int DEFAULT_OUTPUT_PORT = 0x03;

    private static final byte UNDEFINED_BYTE = (byte)0xff;

    private final Runnable onResetRequest;

    private int status = STATUS_KEYBOARD_UNLOCKED;
    private int control = CONTROL_POST_PASSED | CONTROL_KEYBOARD_INTERRUPT;
    private int outputPort = DEFAULT_OUTPUT_PORT;
    private int commandAwaitingData;
    private int outputByte;

    public I8042(final Runnable onResetRequest)
    {
        this.onResetRequest = Objects.requireNonNull(onResetRequest, "onResetRequest");
    }

    /** The controller's registers, for a clone of a VM whose guest programmed them. */
    public record State(int status, int control, int outputPort, int commandAwaitingData, int outputByte)
    {
    }

    public synchronized State state()
    {
        return new State(status, control, outputPort, commandAwaitingData, outputByte);
    }

    /** Takes over {@code state} (from {@link #state()} of another controller) before the guest runs. */
    public synchronized void restore(final State state)
    {
        status = state.status();
        control = state.control();
        outputPort = state.outputPort();
        commandAwaitingData = state.commandAwaitingData();
        outputByte = state.outputByte();
    }

    @Override
    public String name()
    {
        return "i8042";
    }

    @Override
    public synchronized void read(final long offset, final MutableDirectBuffer data, final int index, final int length)
    {
        if (length <= 0)
        {
            return;
        }
        final int value;
        if (offset == COMMAND_STATUS_OFFSET)
        {
            value = status;
        }
        else if (offset == DATA_OFFSET)
        {
            value = takeOutput();
        }
        else
        {
            value = UNDEFINED_BYTE;
        }
        data.putByte(index, (byte)value);
        if (length > 1)
        {
            data.setMemory(index + 1, length - 1, UNDEFINED_BYTE);
        }
    }

    @Override
    public synchronized void write(final long offset, final DirectBuffer data, final int index, final int length)
    {
        if (length <= 0)
        {
            return;
        }
        final int value = data.getByte(index) & 0xff;
        if (offset == COMMAND_STATUS_OFFSET)
        {
            command(value);
        }
        else if (offset == DATA_OFFSET)
        {
            data(value);
        }
    }

    private void command(final int command)
    {
        status &= ~STATUS_AWAITING_COMMAND_DATA;
        switch (command)
        {
            case CMD_RESET_CPU:
                onResetRequest.run();
                break;
            case CMD_READ_CONTROL:
                putOutput(control);
                break;
            case CMD_WRITE_CONTROL:
            case CMD_WRITE_OUTPUT_PORT:
                commandAwaitingData = command;
                status |= STATUS_AWAITING_COMMAND_DATA;
                break;
            case CMD_READ_OUTPUT_PORT:
                putOutput(outputPort);
                break;
            case CMD_SELF_TEST:
                putOutput(SELF_TEST_PASSED);
                break;
            case CMD_INTERFACE_TEST:
                putOutput(INTERFACE_TEST_PASSED);
                break;
            case CMD_DISABLE_AUX:
                control |= CONTROL_AUX_DISABLED;
                break;
            case CMD_ENABLE_AUX:
                control &= ~CONTROL_AUX_DISABLED;
                break;
            case CMD_DISABLE_KEYBOARD:
                control |= CONTROL_KEYBOARD_DISABLED;
                break;
            case CMD_ENABLE_KEYBOARD:
                control &= ~CONTROL_KEYBOARD_DISABLED;
                break;
            default:
                // Commands for hardware we do not model (aux port, LEDs, password) are ignored, as Firecracker does.
                break;
        }
    }

    private void data(final int value)
    {
        if ((status & STATUS_AWAITING_COMMAND_DATA) == 0)
        {
            putOutput(KEYBOARD_ACK);
            return;
        }
        status &= ~STATUS_AWAITING_COMMAND_DATA;
        if (commandAwaitingData == CMD_WRITE_CONTROL)
        {
            control = value;
        }
        else
        {
            outputPort = value;
        }
    }

    /** A new reply replaces an unread one, as Firecracker flushes its buffer before each command's reply. */
    private void putOutput(final int value)
    {
        outputByte = value;
        status |= STATUS_OUTPUT_FULL;
    }

    private int takeOutput()
    {
        if ((status & STATUS_OUTPUT_FULL) == 0)
        {
            return 0;
        }
        status &= ~STATUS_OUTPUT_FULL;
        return outputByte;
    }
}
