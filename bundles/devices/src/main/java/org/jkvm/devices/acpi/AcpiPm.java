package org.jkvm.devices.acpi;

import org.jkvm.devices.BusDevice;
import org.jkvm.devices.DeviceClock;
import org.jkvm.devices.IrqLine;
import org.jkvm.devices.PlatformControl;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The ACPI PM device: the fixed hardware of ACPI 6.0 §4.8 that the loader's FADT describes, in a block of
 * {@link #PORTS} I/O ports (registered at the FADT's PM base):
 *
 * <pre>
 * offset width register  bits
 * 0x00   2     PM1_STS   TMR_STS 0, PWRBTN_STS 8, WAK_STS 15 (write 1 to clear)
 * 0x02   2     PM1_EN    TMR_EN 0, GBL_EN 5, PWRBTN_EN 8, SLPBTN_EN 9, RTC_EN 10
 * 0x04   2     PM1_CNT   SCI_EN 0 (reads 1: no SMM, always in ACPI mode), BM_RLD 1, SLP_TYP 10-12, SLP_EN 13
 * 0x08   4     PM_TMR    24-bit counter at 3.579545 MHz of guest time (TMR_VAL_EXT clear)
 * 0x0C   1     RESET     writing {@link #RESET_VALUE} resets the system (FADT RESET_REG)
 * </pre>
 *
 * <p>The SCI is a level: asserted while SCI_EN is set and some PM1_STS bit is set with its PM1_EN bit. Pressing the
 * power button ({@link #pressPowerButton()}, QMP {@code system_powerdown}) sets PWRBTN_STS; Linux's button driver
 * then runs its power-off, which ends in SLP_TYP = {@link #SLP_TYP_S5} with SLP_EN:
 * {@link PlatformControl#requestPowerOff}.
 * TMR_STS is set when bit 23 of the timer toggles, seen at the next access (the timer's own interrupt, which no
 * supported OS enables, is therefore raised late rather than at the overflow). Other sleep types are ignored.
 *
 * <p>Thread-safe: the vCPU thread accesses the registers, a monitor thread presses the button and saves state.
 */
public final class AcpiPm implements BusDevice {
    /** Ports the device decodes. */
    public static final int PORTS = 16;
    /** Offset of PM1_STS. */
    public static final int PM1_STS = 0x00;
    /** Offset of PM1_EN. */
    public static final int PM1_EN = 0x02;
    /** Offset of PM1_CNT. */
    public static final int PM1_CNT = 0x04;
    /** Offset of PM_TMR. */
    public static final int PM_TMR = 0x08;
    /** Offset of the reset register. */
    public static final int RESET = 0x0C;
    /** PM1_STS/PM1_EN: the timer's bit 23 toggled. */
    public static final int TMR = 1;
    /** PM1_STS: bus master status; PM1_EN: global lock release. */
    public static final int GBL = 1 << 5;
    /** PM1_STS/PM1_EN: the power button. */
    public static final int PWRBTN = 1 << 8;
    /** PM1_STS/PM1_EN: the sleep button (absent, never set). */
    public static final int SLPBTN = 1 << 9;
    /** PM1_STS/PM1_EN: the RTC alarm (not wired, never set). */
    public static final int RTC = 1 << 10;
    /** PM1_STS: the system woke. */
    public static final int WAK = 1 << 15;
    /** PM1_CNT: SCI_EN. */
    public static final int SCI_EN = 1;
    /** PM1_CNT: BM_RLD. */
    public static final int BM_RLD = 1 << 1;
    /** PM1_CNT: SLP_EN (write-only). */
    public static final int SLP_EN = 1 << 13;
    /** SLP_TYP of S5, as the DSDT's \_S5 says. */
    public static final int SLP_TYP_S5 = 5;
    /** The value that resets the system when written to the reset register. */
    public static final int RESET_VALUE = 0x06;
    /** The PM timer's frequency in Hz. */
    public static final long TIMER_HZ = 3_579_545;

    private static final Logger LOG = LoggerFactory.getLogger(AcpiPm.class);
    private static final int STS_MASK = TMR | GBL | PWRBTN | SLPBTN | RTC | WAK;
    private static final int EN_MASK = TMR | GBL | PWRBTN | SLPBTN | RTC;
    private static final long NS_PER_S = 1_000_000_000L;

    private final IrqLine sci;
    private final DeviceClock clock;
    private final PlatformControl platform;
    private int sts;
    private int en;
    private int cnt = SCI_EN;
    /** Added to the clock's ticks: makes a restored timer continue from its saved value. */
    private long tickOffset;
    /** The timer's ticks >> 23 when TMR_STS was last brought up to date. */
    private long halfs;
    private boolean sciLevel;

    /**
     * @param sci    the SCI (ISA IRQ 9, level-triggered, active high)
     * @param clock    the guest's time, which the PM timer counts (no timers are used)
     * @param platform where S5 and the reset register go (source {@code "acpi"})
     */
    public AcpiPm(IrqLine sci, DeviceClock clock, PlatformControl platform) {
        this.sci = sci;
        this.clock = clock;
        this.platform = platform;
        this.halfs = ticks() >> 23;
    }

    /** The PM timer's ticks of guest time {@code ns} (exact: 3579545 / 10^9 without overflow). */
    static long ticksAt(long ns) {
        return ns / NS_PER_S * TIMER_HZ + ns % NS_PER_S * TIMER_HZ / NS_PER_S;
    }

    private long ticks() {
        return ticksAt(clock.nanos()) + tickOffset;
    }

    @Override
    public synchronized void read(long offset, byte[] data) {
        long t = ticks();
        noteTimer(t);
        for (int i = 0; i < data.length; i++) {
            data[i] = (byte) byteAt((int) offset + i, t);
        }
        updateSci();
    }

    private int byteAt(int o, long ticks) {
        return switch (o) {
            case PM1_STS, PM1_STS + 1 -> sts >> 8 * (o - PM1_STS);
            case PM1_EN, PM1_EN + 1 -> en >> 8 * (o - PM1_EN);
            case PM1_CNT, PM1_CNT + 1 -> cnt >> 8 * (o - PM1_CNT);
            case PM_TMR, PM_TMR + 1, PM_TMR + 2 -> (int) ((ticks & 0xffffff) >> 8 * (o - PM_TMR));
            default -> 0;
        };
    }

    @Override
    public synchronized void write(long offset, byte[] data) {
        noteTimer(ticks());
        for (int i = 0; i < data.length; i++) {
            writeByte((int) offset + i, data[i] & 0xff);
        }
        updateSci();
    }

    private void writeByte(int o, int v) {
        switch (o) {
            case PM1_STS, PM1_STS + 1 -> sts &= ~(v << 8 * (o - PM1_STS)); // ACPI: write 1 to clear
            case PM1_EN, PM1_EN + 1 -> {
                int shift = 8 * (o - PM1_EN);
                en = (en & ~(0xff << shift) | v << shift) & EN_MASK;
            }
            case PM1_CNT -> cnt = (cnt & 0xff00) | (v & BM_RLD) | SCI_EN; // GBL_RLS (bit 2) has no lock to release
            case PM1_CNT + 1 -> {
                cnt = (cnt & 0xff) | (v << 8 & 0x1c00);
                if ((v << 8 & SLP_EN) != 0) {
                    sleep(cnt >> 10 & 7);
                }
            }
            case RESET -> {
                if (v == RESET_VALUE) {
                    LOG.debug("the guest wrote 0x{} to the ACPI reset register", Integer.toHexString(v));
                    platform.requestReset("acpi");
                }
            }
            default -> { } // reserved ports: ignored, as the hardware does
        }
    }

    private void sleep(int slpTyp) {
        if (slpTyp == SLP_TYP_S5) {
            LOG.debug("the guest entered S5 (SLP_TYP {}, SLP_EN)", slpTyp);
            platform.requestPowerOff("acpi");
        } else {
            LOG.debug("the guest asked for sleep type {}, which the DSDT does not offer; ignored", slpTyp);
        }
    }

    /** Sets TMR_STS when bit 23 of the timer has toggled since the last look. */
    private void noteTimer(long ticks) {
        long h = ticks >> 23;
        if (h != halfs) {
            halfs = h;
            sts |= TMR;
        }
    }

    private void updateSci() {
        boolean level = (cnt & SCI_EN) != 0 && (sts & en & EN_MASK) != 0;
        if (level != sciLevel) {
            sciLevel = level;
            sci.set(level);
        }
    }

    /** Presses the fixed power button: PWRBTN_STS is set and, when PWRBTN_EN is, the SCI asserted. Any thread. */
    public synchronized void pressPowerButton() {
        sts |= PWRBTN;
        updateSci();
    }

    /** Whether the SCI is asserted (for tests and the monitor). */
    public synchronized boolean sciAsserted() {
        return sciLevel;
    }

    /** The system reset: PM1 registers to their reset values (the timer runs on); the SCI drops. */
    public synchronized void reset() {
        sts = 0;
        en = 0;
        cnt = SCI_EN;
        updateSci();
    }

    /**
     * The state, with the timer's value now. Bringing TMR_STS up to date may raise the SCI (TMR_EN set), here as at
     * any register access, so a source that resumes after a failed migration has its line where the state says.
     */
    public synchronized AcpiPmState save() {
        long t = ticks();
        noteTimer(t);
        updateSci();
        return new AcpiPmState(sts & STS_MASK, en, cnt & ~SLP_EN, (int) (t & 0xffffff), (int) halfs);
    }

    /** Restores a saved state; the timer goes on from its saved value in this clock's time. */
    public synchronized void restore(AcpiPmState s) {
        sts = s.pm1Sts() & STS_MASK;
        en = s.pm1En() & EN_MASK;
        cnt = s.pm1Cnt() & (BM_RLD | 0x1c00) | SCI_EN;
        // Only the low 24 bits and the count of bit-23 toggles are the guest's: rebuild ticks from them.
        long want = (s.timerHalfs() & 0xffffffffL) << 23 | (s.timer() & 0x7fffff);
        tickOffset = want - ticksAt(clock.nanos());
        halfs = want >> 23;
        updateSci();
    }

    @Override
    public String name() {
        return "acpi-pm";
    }
}
