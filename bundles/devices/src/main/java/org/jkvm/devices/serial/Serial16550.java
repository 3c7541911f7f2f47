package org.jkvm.devices.serial;

import java.util.Arrays;

import org.jkvm.devices.BusDevice;
import org.jkvm.devices.DeviceClock;
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
 * receive FIFO in loopback), so THRE and TEMT are always set, and THR is empty again at once: a THR-empty
 * interrupt is pending after every write, and when ETBEI is enabled while THR is empty (what Linux's 8250 driver
 * tests at start-up), until IIR reports it or THR is written. Received bytes are injected with {@link #receive}.
 *
 * <p>Interrupts in the 16550's priority order (IIR): receiver line status (overrun) 0x06; received data 0x04 when
 * the FIFO holds at least its trigger level (FCR bits 6-7: 1, 4, 8 or 14 bytes; 1 without FIFOs); character
 * timeout 0x0c when it holds fewer and nothing went in or out for four character times (at the divisor's baud
 * rate and LCR's frame; at once without a {@link DeviceClock}); THR empty 0x02; modem status 0x00. The line is
 * high while an enabled one is pending, and is driven only when that changes, so every new interrupt after the
 * guest cleared the last one is an edge (ISA IRQ 4 is edge-triggered).
 *
 * <p>Thread-safety: all methods synchronise on the device, so the vCPU thread, an input thread, the timer thread
 * and state save/restore may call concurrently.
 */
public final class Serial16550 implements BusDevice, UartRegisters {
    /** Receive FIFO capacity in bytes (a 16550A has 16; we buffer more so pasted input is not dropped). */
    public static final int RX_CAPACITY = 1024;

    /** The receive FIFO's trigger levels, by FCR bits 6-7. */
    private static final int[] TRIGGER = {1, 4, 8, 14};
    /** The UART's input clock divided by 16: the baud rate at divisor 1. */
    private static final long BAUD_BASE = 115_200;

    private final IrqLine irq;
    private final SerialOutput out;
    /** Guest time for the character timeout, or null: then a timeout is indicated at once. */
    private final DeviceClock clock;
    private final DeviceClock.DeviceTimer timeoutTimer;
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
    /** The character timeout has elapsed with bytes below the trigger level in the FIFO. */
    private boolean timeoutPending;
    /** The level the line was last driven to. */
    private boolean line;
    /** Told when the receive FIFO gets room (the input's backend waits for it), or null. */
    private volatile Runnable spaceListener;

    /**
     * A UART whose character timeout is indicated at once (no clock).
     *
     * @param irq the interrupt line (use {@link IrqLine#NONE} for a polled UART)
     * @param out where transmitted bytes go
     */
    public Serial16550(IrqLine irq, SerialOutput out) {
        this(irq, out, null);
    }

    /**
     * @param irq   the interrupt line (use {@link IrqLine#NONE} for a polled UART)
     * @param out   where transmitted bytes go
     * @param clock guest time for the character timeout, or null to indicate it at once
     */
    public Serial16550(IrqLine irq, SerialOutput out, DeviceClock clock) {
        this.irq = irq;
        this.out = out;
        this.clock = clock;
        this.timeoutTimer = clock == null ? null : clock.newTimer("serial-timeout", this::timeoutExpired);
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
        timeoutPending = false;
        if (timeoutTimer != null) {
            timeoutTimer.cancel();
        }
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
        if (accepted > 0) {
            restartTimeout(); // input went into the FIFO: the timeout counts from now
        }
        updateIrq();
        return accepted;
    }

    /**
     * Sets what to tell when the guest makes room in the receive FIFO (reads RBR, clears the FIFO), so that an
     * input backend waiting for space goes on; called under the device's lock, so it must only wake a thread.
     */
    public void setReceiveSpaceListener(Runnable listener) {
        spaceListener = listener;
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
        return new Serial16550State(dll, dlm, ier, lcr, mcr, lsr, msr, scr, fcr, thrInterrupt, timeoutPending,
                pending);
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
        timeoutPending = s.timeoutPending();
        rxHead = 0;
        rxCount = pending.length;
        System.arraycopy(pending, 0, rx, 0, pending.length);
        restartTimeout();
        line = pendingInterrupt() != IIR_NONE;
        irq.set(line);
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
            if (rxCount >= triggerLevel()) {
                return IIR_RDA;
            }
            if (timeoutPending || clock == null) {
                return IIR_TIMEOUT;
            }
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
        // Bit 1 clears the receive FIFO; so does switching the FIFOs on or off (bit 0).
        if ((v & 0x02) != 0 || ((v ^ fcr) & 0x01) != 0) {
            rxHead = 0;
            rxCount = 0;
            lsr &= ~LSR_DR;
            timeoutPending = false;
            roomMade();
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
        timeoutPending = false; // reading RBR clears the timeout indication and restarts its count
        restartTimeout();
        updateIrq();
        roomMade();
        return v;
    }

    /** The receive FIFO's trigger level in bytes (1 without FIFOs). */
    private int triggerLevel() {
        return (fcr & 1) == 0 ? 1 : TRIGGER[fcr >> 6 & 3];
    }

    /**
     * Arms the character timeout for four character times from now when the FIFO holds bytes below its trigger
     * level, else disarms it.
     */
    private void restartTimeout() {
        if (timeoutTimer == null) {
            return;
        }
        if (rxCount > 0 && rxCount < triggerLevel() && !timeoutPending) {
            timeoutTimer.arm(clock.nanos() + 4 * characterNanos());
        } else {
            timeoutTimer.cancel();
        }
    }

    /** One character's time on the line: start bit, 5-8 data bits, parity, 1-2 stop bits at the divisor's rate. */
    long characterNanos() {
        int bits = 1 + 5 + (lcr & 3) + ((lcr & 0x08) != 0 ? 1 : 0) + ((lcr & 0x04) != 0 ? 2 : 1);
        long divisor = Math.max(1, dll | dlm << 8);
        return bits * divisor * 1_000_000_000L / BAUD_BASE;
    }

    private synchronized void timeoutExpired() {
        if (rxCount > 0 && rxCount < triggerLevel()) {
            timeoutPending = true;
            updateIrq();
        }
    }

    private void roomMade() {
        Runnable l = spaceListener;
        if (l != null) {
            l.run();
        }
    }

    private void updateIrq() {
        boolean level = pendingInterrupt() != IIR_NONE;
        if (level != line) {
            line = level;
            irq.set(level);
        }
    }
}
