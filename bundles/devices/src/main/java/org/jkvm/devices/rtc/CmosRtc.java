package org.jkvm.devices.rtc;

import java.util.Arrays;

import org.jkvm.devices.BusDevice;
import org.jkvm.devices.DeviceClock;
import org.jkvm.devices.IrqLine;

/**
 * The PC's CMOS real-time clock, a Motorola MC146818 at ports 0x70 (index; bit 7 masks NMIs) and 0x71 (data), with
 * its interrupt on IRQ 8 and 128 bytes of CMOS.
 *
 * <pre>
 * 0x00 seconds   0x01 seconds alarm   0x02 minutes   0x03 minutes alarm   0x04 hours   0x05 hours alarm
 * 0x06 day of week (1 = Sunday)   0x07 day of month   0x08 month   0x09 year   0x32 century (CMOS RAM)
 * 0x0a A: bit 7 UIP (update in progress), 6-4 DV divider (010 = 32.768 kHz; 11x holds it in reset),
 *         3-0 RS periodic rate (period 2^(RS-1) / 32768 s; 1 and 2 are 256 and 128 Hz)
 * 0x0b B: bit 7 SET (updates inhibited), 6 PIE, 5 AIE, 4 UIE, 3 SQWE, 2 DM (1 binary), 1 24/12, 0 DSE
 * 0x0c C: bit 7 IRQF, 6 PF, 5 AF, 4 UF; read-only, cleared by the read
 * 0x0d D: bit 7 VRT (valid RAM and time)
 * </pre>
 *
 * <p>Time: at construction the clock reads the host's time it is given ({@code startEpochSeconds}, UTC as QEMU's
 * default {@code -rtc base=utc}); from then on it counts the guest's time ({@link DeviceClock}), so a saved and
 * restored RTC goes on from what it read at the save. The divider chain is a count of 32.768 kHz ticks; the
 * periodic, update-ended and alarm flags are worked out from the ticks that passed since they were last looked at,
 * when register C is read, and a timer is armed only for an interrupt the guest enabled and has not yet had, so an
 * idle RTC costs nothing. UIP reads 1 in the last 244 us (8 ticks) before each update.
 *
 * <p>The interrupt line is IRQF: raised when an enabled flag sets, lowered by reading C (an edge per interrupt, as
 * ISA IRQ 8 is edge-triggered). Thread-safe: every method synchronises on the device (the vCPU, the timer thread,
 * state save and restore).
 */
public final class CmosRtc implements BusDevice {
    /** The index port (the data port is the next one). */
    public static final int PORT = 0x70;
    /** Divider ticks per second. */
    public static final int TICKS_PER_SECOND = 32768;
    static final int REG_A = 0x0a;
    static final int REG_B = 0x0b;
    static final int REG_C = 0x0c;
    static final int REG_D = 0x0d;
    static final int A_UIP = 0x80;
    static final int B_SET = 0x80;
    static final int B_PIE = 0x40;
    static final int B_AIE = 0x20;
    static final int B_UIE = 0x10;
    static final int C_IRQF = 0x80;
    static final int C_PF = 0x40;
    static final int C_AF = 0x20;
    static final int C_UF = 0x10;
    static final int D_VRT = 0x80;
    /** Register A after power-on: the 32.768 kHz divider, 1024 Hz periodic rate. */
    static final int A_RESET = 0x26;
    /** Register B after power-on: 24-hour BCD, no interrupts. */
    static final int B_RESET = 0x02;
    private static final int UIP_TICKS = 8;
    private static final long NS_PER_S = 1_000_000_000L;

    private final IrqLine irq;
    private final DeviceClock clock;
    private final DeviceClock.DeviceTimer timer;
    /** CMOS RAM; the calendar registers are only authoritative while the clock is stopped. */
    private final byte[] cmos = new byte[128];
    private int index;
    private boolean nmiMasked;
    /** Register C's PF, AF and UF. */
    private int flags;
    /** At guest time {@code baseNs} the RTC read {@code baseTicks} (ticks since 1970 of its own time). */
    private long baseTicks;
    private long baseNs;
    /** The RTC time up to which the flags have been worked out. */
    private long evaluatedTicks;
    /** The day of the week the guest set minus the one of the date, mod 7. */
    private int weekdayDelta;
    /** The first alarm second after {@code evaluatedTicks}, or -1 when not worked out yet. */
    private long nextAlarm = -1;
    private boolean line;

    /**
     * @param irq               IRQ 8
     * @param clock             guest time and the timer
     * @param startEpochSeconds the time the clock starts with (seconds since 1970, UTC)
     */
    public CmosRtc(IrqLine irq, DeviceClock clock, long startEpochSeconds) {
        this.irq = irq;
        this.clock = clock;
        this.timer = clock.newTimer("rtc", this::timerExpired);
        powerOn(startEpochSeconds);
    }

    /** Power-on state at {@code epochSeconds}: registers A-D at their defaults, RAM cleared. */
    private synchronized void powerOn(long epochSeconds) {
        Arrays.fill(cmos, (byte) 0);
        cmos[REG_A] = A_RESET;
        cmos[REG_B] = B_RESET;
        cmos[REG_D] = (byte) D_VRT;
        index = 0;
        nmiMasked = false;
        flags = 0;
        weekdayDelta = 0;
        baseNs = clock.nanos();
        baseTicks = epochSeconds * TICKS_PER_SECOND;
        evaluatedTicks = baseTicks;
        nextAlarm = -1;
        updateIrq();
    }

    /**
     * A system reset: interrupts and flags off (register B's PIE, AIE, UIE; register C), as the chip's RESET pin
     * does; the time, the data mode and CMOS RAM stay (the chip is battery-backed).
     */
    public synchronized void reset() {
        evaluate(clock.nanos());
        cmos[REG_B] &= ~(B_PIE | B_AIE | B_UIE | 0x08);
        flags = 0;
        updateIrq();
    }

    /** Sets a CMOS RAM byte (0x0e-0x7f, not the clock's registers), e.g. what firmware would have stored. */
    public synchronized void setCmos(int reg, int value) {
        if (reg < 0x0e || reg > 0x7f || reg == RtcCalendar.CENTURY) {
            throw new IllegalArgumentException("CMOS byte 0x" + Integer.toHexString(reg) + " is not RAM");
        }
        cmos[reg] = (byte) value;
    }

    @Override
    public synchronized void read(long offset, byte[] data) {
        Arrays.fill(data, (byte) 0xff);
        if (offset == 1 && data.length > 0) {
            data[0] = (byte) readRegister(index);
        }
    }

    @Override
    public synchronized void write(long offset, byte[] data) {
        if (data.length == 0) {
            return;
        }
        int v = data[0] & 0xff;
        if (offset == 0) {
            index = v & 0x7f;
            nmiMasked = (v & 0x80) != 0;
        } else if (offset == 1) {
            writeRegister(index, v);
        }
    }

    @Override
    public String name() {
        return "rtc";
    }

    /** Whether the guest masked NMIs (bit 7 of the last index written). */
    public synchronized boolean nmiMasked() {
        return nmiMasked;
    }

    private int readRegister(int reg) {
        long now = clock.nanos();
        evaluate(now);
        int b = cmos[REG_B] & 0xff;
        switch (reg) {
            case REG_A:
                return cmos[REG_A] & 0x7f | (uip(now) ? A_UIP : 0);
            case REG_C: {
                int v = flags | ((flags & b & 0x70) != 0 ? C_IRQF : 0);
                flags = 0; // reading C clears the flags and IRQF, and releases the interrupt line
                updateIrq();
                rearm(now);
                return v;
            }
            case REG_D:
                return D_VRT;
            case RtcCalendar.SECONDS, RtcCalendar.MINUTES, RtcCalendar.HOURS, RtcCalendar.WEEKDAY, RtcCalendar.DAY,
                    RtcCalendar.MONTH, RtcCalendar.YEAR, RtcCalendar.CENTURY:
                if (!stopped()) {
                    calendarInto(cmos, now);
                }
                return cmos[reg] & 0xff;
            default:
                return cmos[reg] & 0xff;
        }
    }

    private void writeRegister(int reg, int v) {
        long now = clock.nanos();
        evaluate(now);
        switch (reg) {
            case REG_A -> writeA(v, now);
            case REG_B -> writeB(v, now);
            case REG_C, REG_D -> { } // read-only
            case RtcCalendar.SECONDS, RtcCalendar.MINUTES, RtcCalendar.HOURS, RtcCalendar.WEEKDAY, RtcCalendar.DAY,
                    RtcCalendar.MONTH, RtcCalendar.YEAR, RtcCalendar.CENTURY -> {
                if (stopped()) {
                    cmos[reg] = (byte) v;
                } else {
                    // Set while running (allowed; an update may follow at once): the clock goes on from the new
                    // value, keeping the divider's phase.
                    calendarInto(cmos, now);
                    cmos[reg] = (byte) v;
                    restart(now, phase(now));
                }
            }
            default -> cmos[reg] = (byte) v;
        }
        nextAlarm = -1;
        updateIrq();
        rearm(now);
    }

    private void writeA(int v, long now) {
        boolean wasReset = dividerReset();
        if (!wasReset && isReset(v) && (cmos[REG_B] & B_SET) == 0) {
            calendarInto(cmos, now); // the divider stops: hold the time
        }
        cmos[REG_A] = (byte) (v & 0x7f);
        if (wasReset && !dividerReset() && (cmos[REG_B] & B_SET) == 0) {
            restart(now, TICKS_PER_SECOND / 2); // out of reset, the first update comes half a second later
        }
    }

    private void writeB(int v, long now) {
        int old = cmos[REG_B] & 0xff;
        if ((v & B_SET) != 0) {
            v &= ~B_UIE; // setting SET clears UIE
            if ((old & B_SET) == 0 && !dividerReset()) {
                calendarInto(cmos, now); // updates stop: the registers hold the time for the guest to change
            }
        }
        if ((old & B_SET) != 0 && (v & B_SET) == 0) {
            cmos[REG_B] = (byte) v;
            if (!dividerReset()) {
                restart(now, phase(now));
            }
            return;
        }
        if (((old ^ v) & (RtcCalendar.B_BINARY | RtcCalendar.B_24H)) != 0 && stopped()) {
            // The data mode changes how the held registers read: keep the time they hold.
            long seconds = RtcCalendar.read(cmos, old);
            int weekday = cmos[RtcCalendar.WEEKDAY];
            RtcCalendar.write(seconds, cmos, v);
            cmos[RtcCalendar.WEEKDAY] = (byte) weekday;
        }
        cmos[REG_B] = (byte) v;
    }

    /** The clock runs on from the time the held registers say, with the divider at {@code phaseTicks}. */
    private void restart(long now, long phaseTicks) {
        int b = cmos[REG_B] & 0xff;
        long seconds = RtcCalendar.read(cmos, b);
        weekdayDelta = Math.floorMod((cmos[RtcCalendar.WEEKDAY] & 0xff) - RtcCalendar.weekday(seconds), 7);
        baseTicks = seconds * TICKS_PER_SECOND + phaseTicks;
        baseNs = now;
        evaluatedTicks = baseTicks;
        nextAlarm = -1;
    }

    /** Writes the running clock's calendar at {@code now} into {@code regs}. */
    private void calendarInto(byte[] regs, long now) {
        long seconds = Math.floorDiv(ticksAt(now), TICKS_PER_SECOND);
        RtcCalendar.write(seconds, regs, cmos[REG_B] & 0xff);
        regs[RtcCalendar.WEEKDAY] = (byte) ((RtcCalendar.weekday(seconds) - 1 + weekdayDelta) % 7 + 1);
    }

    private boolean stopped() {
        return (cmos[REG_B] & B_SET) != 0 || dividerReset();
    }

    private boolean dividerReset() {
        return isReset(cmos[REG_A]);
    }

    private static boolean isReset(int a) {
        return (a & 0x60) == 0x60;
    }

    /** The RTC's time at guest time {@code now}, in divider ticks. */
    private long ticksAt(long now) {
        long d = now - baseNs;
        return baseTicks + Math.floorDiv(d, NS_PER_S) * TICKS_PER_SECOND
                + Math.floorMod(d, NS_PER_S) * TICKS_PER_SECOND / NS_PER_S;
    }

    /** The guest time at which the RTC reaches {@code ticks} (rounded up to a whole nanosecond). */
    private long nsAt(long ticks) {
        long d = ticks - baseTicks;
        return baseNs + Math.floorDiv(d, TICKS_PER_SECOND) * NS_PER_S
                + (Math.floorMod(d, TICKS_PER_SECOND) * NS_PER_S + TICKS_PER_SECOND - 1) / TICKS_PER_SECOND;
    }

    private long phase(long now) {
        return Math.floorMod(ticksAt(now), TICKS_PER_SECOND);
    }

    private boolean uip(long now) {
        return !stopped() && phase(now) >= TICKS_PER_SECOND - UIP_TICKS;
    }

    /** Period of the periodic interrupt in ticks, or 0 when RS is 0 (none). */
    private int periodTicks() {
        int rs = cmos[REG_A] & 0x0f;
        if (rs == 0) {
            return 0;
        }
        return 1 << ((rs <= 2 ? rs + 7 : rs) - 1);
    }

    /** Sets PF, UF and AF for the periodic ticks, updates and alarms between the last look and {@code now}. */
    private void evaluate(long now) {
        long t = ticksAt(now);
        if (t <= evaluatedTicks) {
            return;
        }
        int period = periodTicks();
        if (period != 0 && !dividerReset() && Math.floorDiv(t, period) > Math.floorDiv(evaluatedTicks, period)) {
            flags |= C_PF;
        }
        if (!stopped()) {
            long s0 = Math.floorDiv(evaluatedTicks, TICKS_PER_SECOND);
            long s1 = Math.floorDiv(t, TICKS_PER_SECOND);
            if (s1 > s0) {
                flags |= C_UF;
                if (alarmAfter(s0) <= s1) {
                    flags |= C_AF;
                }
                nextAlarm = -1;
            }
        }
        evaluatedTicks = t;
    }

    /** The first alarm second after second {@code s}. */
    private long alarmAfter(long s) {
        if (nextAlarm < 0 || nextAlarm <= s) {
            nextAlarm = RtcCalendar.nextAlarm(s + 1, cmos, cmos[REG_B] & 0xff);
        }
        return nextAlarm;
    }

    /** Arms the timer for the next event of an enabled interrupt while the line is low; else disarms it. */
    private void rearm(long now) {
        int b = cmos[REG_B] & 0xff;
        if (line || (b & (B_PIE | B_AIE | B_UIE)) == 0) {
            timer.cancel();
            return;
        }
        long next = Long.MAX_VALUE;
        int period = periodTicks();
        if ((b & B_PIE) != 0 && period != 0 && !dividerReset()) {
            next = (Math.floorDiv(evaluatedTicks, period) + 1) * period;
        }
        if (!stopped()) {
            long second = Math.floorDiv(evaluatedTicks, TICKS_PER_SECOND);
            if ((b & B_UIE) != 0) {
                next = Math.min(next, (second + 1) * TICKS_PER_SECOND);
            }
            long alarm = (b & B_AIE) != 0 ? alarmAfter(second) : Long.MAX_VALUE;
            if (alarm != Long.MAX_VALUE) {
                next = Math.min(next, alarm * TICKS_PER_SECOND);
            }
        }
        if (next == Long.MAX_VALUE) {
            timer.cancel();
        } else {
            timer.arm(nsAt(next));
        }
    }

    private synchronized void timerExpired() {
        long now = clock.nanos();
        evaluate(now);
        updateIrq();
        rearm(now);
    }

    private void updateIrq() {
        boolean level = (flags & cmos[REG_B] & 0x70) != 0;
        if (level != line) {
            line = level;
            irq.set(level);
        }
    }

    /** The RTC as it reads now: the registers (calendar included), the divider's phase, the flags. */
    public synchronized RtcState save() {
        long now = clock.nanos();
        evaluate(now);
        byte[] regs = cmos.clone();
        if (!stopped()) {
            calendarInto(regs, now);
        }
        // IRQF tells the destination whether the line was up: the evaluation above may have set a flag whose
        // edge the source never sent (the interrupt controllers are saved already), which the destination sends.
        return new RtcState(regs, (int) phase(now), flags | (line ? C_IRQF : 0), index, nmiMasked);
    }

    /**
     * Goes on from {@code s} at the current guest time: the clock counts on from the time its registers hold. A
     * state whose enabled flags are set while its IRQF is clear (the source evaluated them at the save, after its
     * interrupt controllers were saved) gets its edge from the timer, after the restore; a state from a writer that
     * did not record IRQF has it clear, so its pending interrupt is delivered again, at worst once more.
     */
    public synchronized void restore(RtcState s) {
        long now = clock.nanos();
        System.arraycopy(s.cmos(), 0, cmos, 0, cmos.length);
        index = s.index();
        nmiMasked = s.nmiMasked();
        restart(now, s.phaseTicks());
        flags = s.flags() & (C_PF | C_AF | C_UF);
        // The line as the source left it, which the restored interrupt controllers hold (lines are quiet now).
        line = (s.flags() & C_IRQF) != 0;
        irq.set(line);
        rearm(now);
        if (((flags & cmos[REG_B] & 0x70) != 0) != line) {
            timer.arm(now); // the edge the source owed (or the drop it missed), sent once the lines speak again
        }
    }
}
