package org.jkvm.devices.serial;

import java.util.Arrays;

import org.jkvm.devices.BusDevice;
import org.jkvm.devices.IrqLine;

/**
 * A 16550A UART with the register set the Linux 8250 driver uses (offsets 0-7 from the base, e.g. 0x3f8).
 *
 * <pre>
 * off  DLAB=0 read   DLAB=0 write   DLAB=1
 *  0   RBR           THR            DLL (divisor low)
 *  1   IER           IER            DLM (divisor high)
 *  2   IIR           FCR
 *  3   LCR (bit 7 = DLAB)
 *  4   MCR (bit 4 = loopback, bit 3 = OUT2)
 *  5   LSR (read only: DR, OE, THRE, TEMT)
 *  6   MSR (deltas cleared on read)
 *  7   SCR
 * </pre>
 *
 * <p>Transmission is instantaneous: a byte written to THR goes to the {@link SerialOutput} at once (or to the
 * receive FIFO in loopback), so THRE and TEMT are always set. Received bytes are injected with
 * {@link #receive}. Interrupts follow the 16550 priority order (line status, received data, THR empty, modem
 * status); the line is raised while any enabled source is pending.
 *
 * <p>Thread-safety: all methods synchronise on the device, so the vCPU thread, an input thread and state
 * save/restore may call concurrently.
 */
public final class Serial16550 implements BusDevice {
    /** Receive FIFO capacity in bytes (a 16550A has 16; we buffer more so pasted input is not dropped). */
    public static final int RX_CAPACITY = 1024;

    static final int DATA = 0;
    static final int IER = 1;
    static final int IIR_FCR = 2;
    static final int LCR = 3;
    static final int MCR = 4;
    static final int LSR = 5;
    static final int MSR = 6;
    static final int SCR = 7;

    static final int IER_RDA = 0x01;
    static final int IER_THRE = 0x02;
    static final int IER_RLS = 0x04;
    static final int IER_MS = 0x08;
    static final int IIR_NONE = 0x01;
    static final int IIR_MS = 0x00;
    static final int IIR_THRE = 0x02;
    static final int IIR_RDA = 0x04;
    static final int IIR_RLS = 0x06;
    static final int IIR_FIFO = 0xc0;
    static final int LCR_DLAB = 0x80;
    static final int MCR_DTR = 0x01;
    static final int MCR_RTS = 0x02;
    static final int MCR_OUT1 = 0x04;
    static final int MCR_OUT2 = 0x08;
    static final int MCR_LOOP = 0x10;
    static final int LSR_DR = 0x01;
    static final int LSR_OE = 0x02;
    static final int LSR_THRE = 0x20;
    static final int LSR_TEMT = 0x40;
    static final int MSR_CTS = 0x10;
    static final int MSR_DSR = 0x20;
    static final int MSR_RI = 0x40;
    static final int MSR_DCD = 0x80;
    /** Without loopback the modem lines read as connected: CTS, DSR and DCD. */
    static final int MSR_CONNECTED = MSR_CTS | MSR_DSR | MSR_DCD;

    private final IrqLine irq;
    private final SerialOutput out;
    private final byte[] rx = new byte[RX_CAPACITY];
    private int rxHead;
    private int rxCount;
    private int dll;
    private int dlm;
    private int ier;
    private int lcr;
    private int mcr;
    private int lsr;
    private int msr;
    private int scr;
    private int fcr;
    private boolean thrInterrupt;

    /**
     * @param irq the interrupt line (use {@link IrqLine#NONE} for a polled UART)
     * @param out where transmitted bytes go
     */
    public Serial16550(IrqLine irq, SerialOutput out) {
        this.irq = irq;
        this.out = out;
        reset();
    }

    /** Puts the UART in its power-on state: 9600 baud 8N1 divisor 12, FIFO off, nothing pending. */
    public synchronized void reset() {
        rxHead = 0;
        rxCount = 0;
        dll = 12;
        dlm = 0;
        ier = 0;
        lcr = 0x03;
        mcr = MCR_OUT2;
        lsr = LSR_THRE | LSR_TEMT;
        msr = MSR_CONNECTED;
        scr = 0;
        fcr = 0;
        thrInterrupt = false;
        updateIrq();
    }

    @Override
    public synchronized void read(long offset, byte[] data) {
        Arrays.fill(data, (byte) 0);
        if (data.length > 0 && offset >= 0 && offset < 8) {
            data[0] = (byte) readRegister((int) offset);
        }
    }

    @Override
    public synchronized void write(long offset, byte[] data) {
        if (data.length > 0 && offset >= 0 && offset < 8) {
            writeRegister((int) offset, data[0] & 0xff);
        }
    }

    @Override
    public String name() {
        return "serial16550";
    }

    /**
     * Queues bytes the guest will read from RBR. Bytes beyond the FIFO capacity are dropped and set the
     * overrun bit in LSR, as the hardware does.
     *
     * @return the number of bytes accepted
     */
    public synchronized int receive(byte[] bytes, int off, int len) {
        int accepted = 0;
        for (int i = 0; i < len; i++) {
            if (!push(bytes[off + i])) {
                break;
            }
            accepted++;
        }
        updateIrq();
        return accepted;
    }

    /** Free space in the receive FIFO, for backends that want to wait rather than overrun. */
    public synchronized int receiveSpace() {
        return RX_CAPACITY - rxCount;
    }

    /** The guest-visible state (a snapshot; the device keeps running). */
    public synchronized Serial16550State save() {
        byte[] pending = new byte[rxCount];
        for (int i = 0; i < rxCount; i++) {
            pending[i] = rx[(rxHead + i) % RX_CAPACITY];
        }
        return new Serial16550State(dll, dlm, ier, lcr, mcr, lsr, msr, scr, fcr, thrInterrupt, pending);
    }

    /** Replaces the guest-visible state with {@code s} (e.g. after an incoming migration). */
    public synchronized void restore(Serial16550State s) {
        byte[] pending = s.rx();
        if (pending.length > RX_CAPACITY) {
            throw new IllegalArgumentException("serial state holds " + pending.length
                    + " received bytes, more than the " + RX_CAPACITY + "-byte FIFO");
        }
        dll = s.dll() & 0xff;
        dlm = s.dlm() & 0xff;
        ier = s.ier() & 0x0f;
        lcr = s.lcr() & 0xff;
        mcr = s.mcr() & 0x1f;
        lsr = s.lsr() & 0xff;
        msr = s.msr() & 0xff;
        scr = s.scr() & 0xff;
        fcr = s.fcr() & 0xff;
        thrInterrupt = s.thrInterrupt();
        rxHead = 0;
        rxCount = pending.length;
        System.arraycopy(pending, 0, rx, 0, pending.length);
        updateIrq();
    }

    private int readRegister(int reg) {
        boolean dlab = (lcr & LCR_DLAB) != 0;
        switch (reg) {
            case DATA:
                return dlab ? dll : pop();
            case IER:
                return dlab ? dlm : ier;
            case IIR_FCR:
                return readIir();
            case LCR:
                return lcr;
            case MCR:
                return mcr;
            case LSR: {
                int v = lsr;
                // 16550: reading LSR clears the error bits (OE, PE, FE, BI).
                lsr &= ~(LSR_OE | 0x1c);
                updateIrq();
                return v;
            }
            case MSR: {
                int v = msr;
                // 16550: reading MSR clears the delta bits 0-3.
                msr &= 0xf0;
                updateIrq();
                return v;
            }
            default:
                return scr;
        }
    }

    private void writeRegister(int reg, int v) {
        boolean dlab = (lcr & LCR_DLAB) != 0;
        switch (reg) {
            case DATA:
                if (dlab) {
                    dll = v;
                } else {
                    transmit(v);
                }
                break;
            case IER:
                if (dlab) {
                    dlm = v;
                } else {
                    int old = ier;
                    ier = v & 0x0f;
                    // 16550: enabling ETBEI while THR is empty raises a THR-empty interrupt at once.
                    if ((ier & IER_THRE) != 0 && (old & IER_THRE) == 0) {
                        thrInterrupt = true;
                    }
                }
                break;
            case IIR_FCR:
                writeFcr(v);
                break;
            case LCR:
                lcr = v;
                break;
            case MCR:
                writeMcr(v & 0x1f);
                break;
            case SCR:
                scr = v;
                break;
            default:
                // LSR and MSR are read-only; writes are ignored as on the hardware.
                break;
        }
        updateIrq();
    }

    private int readIir() {
        int fifoBits = (fcr & 1) != 0 ? IIR_FIFO : 0;
        int id = pendingInterrupt();
        if (id == IIR_THRE) {
            // 16550: reading IIR while it reports THR empty clears that interrupt.
            thrInterrupt = false;
            updateIrq();
        }
        return id | fifoBits;
    }

    /** The highest-priority enabled pending interrupt as an IIR id, or {@link #IIR_NONE}. */
    private int pendingInterrupt() {
        if ((ier & IER_RLS) != 0 && (lsr & LSR_OE) != 0) {
            return IIR_RLS;
        }
        if ((ier & IER_RDA) != 0 && rxCount > 0) {
            return IIR_RDA;
        }
        if ((ier & IER_THRE) != 0 && thrInterrupt) {
            return IIR_THRE;
        }
        if ((ier & IER_MS) != 0 && (msr & 0x0f) != 0) {
            return IIR_MS;
        }
        return IIR_NONE;
    }

    private void transmit(int v) {
        if ((mcr & MCR_LOOP) != 0) {
            push((byte) v);
        } else {
            out.write(v);
        }
        // The byte left at once: THR is empty again, which is a new THR-empty interrupt.
        thrInterrupt = true;
    }

    private void writeFcr(int v) {
        if ((v & 0x02) != 0) {
            rxHead = 0;
            rxCount = 0;
            lsr &= ~LSR_DR;
        }
        // Bits 1-2 self-clear; bit 0 enables the FIFOs, bits 6-7 are the trigger level.
        fcr = v & 0xc9;
    }

    private void writeMcr(int v) {
        int oldLines = modemLines();
        mcr = v;
        int lines = modemLines();
        int delta = 0;
        if (((oldLines ^ lines) & MSR_CTS) != 0) {
            delta |= 0x01;
        }
        if (((oldLines ^ lines) & MSR_DSR) != 0) {
            delta |= 0x02;
        }
        if ((oldLines & MSR_RI) != 0 && (lines & MSR_RI) == 0) {
            delta |= 0x04; // trailing edge of RI
        }
        if (((oldLines ^ lines) & MSR_DCD) != 0) {
            delta |= 0x08;
        }
        msr = lines | (msr & 0x0f) | delta;
    }

    /** MSR bits 4-7: in loopback they follow MCR (CTS=RTS, DSR=DTR, RI=OUT1, DCD=OUT2). */
    private int modemLines() {
        if ((mcr & MCR_LOOP) == 0) {
            return MSR_CONNECTED;
        }
        int v = 0;
        v |= (mcr & MCR_RTS) != 0 ? MSR_CTS : 0;
        v |= (mcr & MCR_DTR) != 0 ? MSR_DSR : 0;
        v |= (mcr & MCR_OUT1) != 0 ? MSR_RI : 0;
        v |= (mcr & MCR_OUT2) != 0 ? MSR_DCD : 0;
        return v;
    }

    private boolean push(byte b) {
        if (rxCount == RX_CAPACITY) {
            lsr |= LSR_OE;
            return false;
        }
        rx[(rxHead + rxCount) % RX_CAPACITY] = b;
        rxCount++;
        lsr |= LSR_DR;
        return true;
    }

    private int pop() {
        if (rxCount == 0) {
            return 0;
        }
        int v = rx[rxHead] & 0xff;
        rxHead = (rxHead + 1) % RX_CAPACITY;
        rxCount--;
        if (rxCount == 0) {
            lsr &= ~LSR_DR;
        }
        updateIrq();
        return v;
    }

    private void updateIrq() {
        irq.set(pendingInterrupt() != IIR_NONE);
    }
}
