package dev.hatchery.devices;

import java.util.Objects;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

/**
 * 16550A UART at 0x3f8, 8 ports, IRQ 4: the guest's console. Only as much of the chip as Linux's 8250
 * driver checks when it probes (IER and scratch read-back, loopback MSR, FIFO bits in IIR) and uses to
 * print (LSR polling for the console, THR-empty interrupts for the tty). Bytes leave the moment they
 * are written, so the transmitter is always empty; there is no input source, only the loopback byte.
 * Interrupt rules follow a real 16550: a THR-empty interrupt is pending after a THR write or when
 * THRI is newly enabled, and reading IIR or writing THR clears it.
 */
public final class Serial8250 implements Device
{
    public static final int COM1_PORT = 0x3f8;
    public static final int PORT_COUNT = 8;
    public static final int IRQ = 4;

    /** Register offsets; DLL and DLM replace RBR/THR and IER while LCR.DLAB is set. */
    static final int RBR_THR_DLL = 0;
    static final int IER_DLM = 1;
    static final int IIR_FCR = 2;
    static final int LCR = 3;
    static final int MCR = 4;
    static final int LSR = 5;
    static final int MSR = 6;
    static final int SCR = 7;

    static final int IER_RDI = 0x01;
    static final int IER_THRI = 0x02;
    /** A 16550A has four enable bits; Linux checks the others do not stick (IER test, XScale UUE test). */
    static final int IER_VALID_BITS = 0x0f;

    static final int IIR_NO_INTERRUPT = 0x01;
    static final int IIR_THR_EMPTY = 0x02;
    static final int IIR_RX_DATA = 0x04;
    static final int IIR_FIFOS_ENABLED = 0xc0;

    static final int FCR_ENABLE_FIFO = 0x01;
    static final int FCR_CLEAR_RX = 0x02;

    static final int LCR_DLAB = 0x80;

    static final int MCR_DTR = 0x01;
    static final int MCR_RTS = 0x02;
    static final int MCR_OUT1 = 0x04;
    static final int MCR_OUT2 = 0x08;
    static final int MCR_LOOP = 0x10;
    static final int MCR_VALID_BITS = 0x1f;

    static final int LSR_DATA_READY = 0x01;
    static final int LSR_THR_EMPTY = 0x20;
    static final int LSR_TRANSMITTER_EMPTY = 0x40;

    static final int MSR_CTS = 0x10;
    static final int MSR_DSR = 0x20;
    static final int MSR_RI = 0x40;
    static final int MSR_DCD = 0x80;
    /** Outside loopback a peer is always attached, so a guest that honours flow control still transmits. */
    static final int MSR_PEER_CONNECTED = MSR_DCD | MSR_DSR | MSR_CTS;

    /** Power-on state as on a PC: 8N1 at 9600 baud (divisor 12), OUT2 set so the IRQ line is routed. */
    private static final int DEFAULT_LCR = 0x03;
    private static final int DEFAULT_DIVISOR_LOW = 12;
    private static final int DEFAULT_MCR = MCR_OUT2;

    private static final byte UNDEFINED_BYTE = (byte)0xff;

    private final ConsoleLog console;
    private final InterruptTrigger interrupt;

    private int interruptEnable;
    private int lineControl = DEFAULT_LCR;
    private int modemControl = DEFAULT_MCR;
    private int divisorLow = DEFAULT_DIVISOR_LOW;
    private int divisorHigh;
    private int scratch;
    private boolean fifosEnabled;
    private boolean threInterruptPending;
    private boolean rxReady;
    private int rxByte;

    public Serial8250(final ConsoleLog console, final InterruptTrigger interrupt)
    {
        this.console = Objects.requireNonNull(console, "console");
        this.interrupt = Objects.requireNonNull(interrupt, "interrupt");
    }

    /**
     * Every register the guest programmed, and what is pending: what a clone of a VM needs so that its guest's
     * driver finds the UART as it left it (interrupts enabled, a transmit interrupt owed). The console text is not
     * part of it: each clone's console starts empty.
     */
    public record State(int interruptEnable, int lineControl, int modemControl, int divisorLow, int divisorHigh, int scratch,
        boolean fifosEnabled, boolean threInterruptPending, boolean rxReady, int rxByte)
    {
    }

    public synchronized State state()
    {
        return new State(interruptEnable, lineControl, modemControl, divisorLow, divisorHigh, scratch, fifosEnabled,
            threInterruptPending, rxReady, rxByte);
    }

    /** Takes over {@code state} (from {@link #state()} of another UART) before the guest runs. */
    public synchronized void restore(final State state)
    {
        interruptEnable = state.interruptEnable();
        lineControl = state.lineControl();
        modemControl = state.modemControl();
        divisorLow = state.divisorLow();
        divisorHigh = state.divisorHigh();
        scratch = state.scratch();
        fifosEnabled = state.fifosEnabled();
        threInterruptPending = state.threInterruptPending();
        rxReady = state.rxReady();
        rxByte = state.rxByte();
    }

    @Override
    public String name()
    {
        return "serial";
    }

    /** UART accesses are one byte wide: a wider read returns the register in its first byte and 0xff after it. */
    @Override
    public synchronized void read(final long offset, final MutableDirectBuffer data, final int index, final int length)
    {
        if (length <= 0)
        {
            return;
        }
        data.putByte(index, (byte)readRegister(offset));
        if (length > 1)
        {
            data.setMemory(index + 1, length - 1, UNDEFINED_BYTE);
        }
    }

    /** UART accesses are one byte wide: a wider write delivers only its first byte. */
    @Override
    public synchronized void write(final long offset, final DirectBuffer data, final int index, final int length)
    {
        if (length > 0)
        {
            writeRegister(offset, data.getByte(index) & 0xff);
        }
    }

    private int readRegister(final long offset)
    {
        final boolean dlab = (lineControl & LCR_DLAB) != 0;
        switch (register(offset))
        {
            case RBR_THR_DLL:
                return dlab ? divisorLow : receive();
            case IER_DLM:
                return dlab ? divisorHigh : interruptEnable;
            case IIR_FCR:
                return interruptIdentification();
            case LCR:
                return lineControl;
            case MCR:
                return modemControl;
            case LSR:
                return LSR_THR_EMPTY | LSR_TRANSMITTER_EMPTY | (rxReady ? LSR_DATA_READY : 0);
            case MSR:
                return isLoopback() ? loopbackModemStatus() : MSR_PEER_CONNECTED;
            case SCR:
                return scratch;
            default:
                return UNDEFINED_BYTE & 0xff;
        }
    }

    private void writeRegister(final long offset, final int value)
    {
        final boolean dlab = (lineControl & LCR_DLAB) != 0;
        switch (register(offset))
        {
            case RBR_THR_DLL:
                if (dlab)
                {
                    divisorLow = value;
                }
                else
                {
                    transmit(value);
                }
                break;
            case IER_DLM:
                if (dlab)
                {
                    divisorHigh = value;
                }
                else
                {
                    writeInterruptEnable(value);
                }
                break;
            case IIR_FCR:
                writeFifoControl(value);
                break;
            case LCR:
                lineControl = value;
                break;
            case MCR:
                modemControl = value & MCR_VALID_BITS;
                break;
            case SCR:
                scratch = value;
                break;
            default:
                // LSR and MSR writes are for factory testing only; a real chip ignores them too.
                break;
        }
    }

    private static int register(final long offset)
    {
        return offset >= 0 && offset < PORT_COUNT ? (int)offset : -1;
    }

    private int receive()
    {
        rxReady = false;
        return rxByte;
    }

    private void transmit(final int value)
    {
        if (isLoopback())
        {
            rxByte = value;
            rxReady = true;
        }
        else
        {
            console.append((byte)value);
        }
        threInterruptPending = true;
        raiseIfPending();
    }

    private void writeInterruptEnable(final int value)
    {
        final int changed = (interruptEnable ^ value) & IER_VALID_BITS;
        interruptEnable = value & IER_VALID_BITS;
        if ((changed & IER_THRI) != 0)
        {
            // The transmitter is always empty, so enabling THRI makes the interrupt pending at once.
            threInterruptPending = (interruptEnable & IER_THRI) != 0;
        }
        if (changed != 0)
        {
            raiseIfPending();
        }
    }

    private void writeFifoControl(final int value)
    {
        fifosEnabled = (value & FCR_ENABLE_FIFO) != 0;
        if ((value & FCR_CLEAR_RX) != 0)
        {
            rxReady = false;
        }
    }

    /** Reading IIR acknowledges a THR-empty interrupt when that is what it reports, as on a real 16550. */
    private int interruptIdentification()
    {
        final int id = pendingInterrupt();
        if (id == IIR_THR_EMPTY)
        {
            threInterruptPending = false;
        }
        return id | (fifosEnabled ? IIR_FIFOS_ENABLED : 0);
    }

    private int pendingInterrupt()
    {
        if ((interruptEnable & IER_RDI) != 0 && rxReady)
        {
            return IIR_RX_DATA;
        }
        if ((interruptEnable & IER_THRI) != 0 && threInterruptPending)
        {
            return IIR_THR_EMPTY;
        }
        return IIR_NO_INTERRUPT;
    }

    /** In loopback the chip's interrupt output is cut off from the IRQ line (OUT2 is looped back), so nothing is raised. */
    private void raiseIfPending()
    {
        if (!isLoopback() && pendingInterrupt() != IIR_NO_INTERRUPT)
        {
            interrupt.trigger();
        }
    }

    private boolean isLoopback()
    {
        return (modemControl & MCR_LOOP) != 0;
    }

    /** Loopback wires the modem outputs to the inputs: RTS to CTS, DTR to DSR, OUT1 to RI, OUT2 to DCD. */
    private int loopbackModemStatus()
    {
        return ((modemControl & MCR_RTS) != 0 ? MSR_CTS : 0)
            | ((modemControl & MCR_DTR) != 0 ? MSR_DSR : 0)
            | ((modemControl & MCR_OUT1) != 0 ? MSR_RI : 0)
            | ((modemControl & MCR_OUT2) != 0 ? MSR_DCD : 0);
    }
}
