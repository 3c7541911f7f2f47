package org.jkvm.devices.acpi;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;

import org.jkvm.devices.IrqLine;
import org.jkvm.devices.ManualClock;
import org.jkvm.devices.PlatformControl;
import org.junit.jupiter.api.Test;

class AcpiPmTest {
    private final ManualClock clock = new ManualClock(5_000_000_000L);
    private final List<String> log = new ArrayList<>();
    private final IrqLine sci = new IrqLine() {
        @Override
        public void raise() {
            log.add("sci+");
        }

        @Override
        public void lower() {
            log.add("sci-");
        }
    };
    private final PlatformControl platform = new PlatformControl() {
        @Override
        public void requestPowerOff(String source) {
            log.add("poweroff " + source);
        }

        @Override
        public void requestReset(String source) {
            log.add("reset " + source);
        }
    };
    private final AcpiPm pm = new AcpiPm(sci, clock, platform);

    private int in(int offset, int width) {
        byte[] d = new byte[width];
        pm.read(offset, d);
        int v = 0;
        for (int i = 0; i < width; i++) {
            v |= (d[i] & 0xff) << 8 * i;
        }
        return v;
    }

    private void out(int offset, int width, int value) {
        byte[] d = new byte[width];
        for (int i = 0; i < width; i++) {
            d[i] = (byte) (value >> 8 * i);
        }
        pm.write(offset, d);
    }

    @Test
    void theTimerCounts3579545TicksPerGuestSecondIn24Bits() {
        int t0 = in(AcpiPm.PM_TMR, 4);
        clock.advance(1_000_000_000L);
        int t1 = in(AcpiPm.PM_TMR, 4);
        assertEquals(3_579_545, (t1 - t0) & 0xffffff);
        assertEquals(0, t1 >>> 24, "TMR_VAL_EXT clear: the top byte reads 0");
        clock.advance(1_000_000L);
        assertEquals(3579, (in(AcpiPm.PM_TMR, 4) - t1) & 0xffffff, "1 ms later: 3579.545 ticks, rounded down");
        assertEquals(3_579_545L * 10, AcpiPm.ticksAt(10_000_000_000L));
        assertEquals(Long.MAX_VALUE / 1_000_000_000L * 3_579_545L + 3_059_708L, AcpiPm.ticksAt(Long.MAX_VALUE),
                "no overflow for any clock value");
    }

    @Test
    void tmrStsIsSetWhenBit23TogglesAndClearedByWritingOne() {
        in(AcpiPm.PM1_STS, 2);
        out(AcpiPm.PM1_STS, 2, 0xffff);
        assertEquals(0, in(AcpiPm.PM1_STS, 2));
        clock.advance((1L << 23) * 1_000_000_000L / AcpiPm.TIMER_HZ + 1_000_000);
        assertEquals(AcpiPm.TMR, in(AcpiPm.PM1_STS, 2));
        out(AcpiPm.PM1_STS, 2, AcpiPm.TMR);
        assertEquals(0, in(AcpiPm.PM1_STS, 2));
    }

    @Test
    void aSaveThatFindsTmrStsRaisesTheSciWhenTmrEnIsSet() {
        out(AcpiPm.PM1_EN, 2, AcpiPm.TMR);
        out(AcpiPm.PM1_STS, 2, 0xffff);
        assertFalse(pm.sciAsserted());
        clock.advance((1L << 23) * 1_000_000_000L / AcpiPm.TIMER_HZ + 1_000_000);
        assertEquals(AcpiPm.TMR, pm.save().pm1Sts() & AcpiPm.TMR);
        assertTrue(pm.sciAsserted(), "the source's line agrees with the saved TMR_STS");
        assertEquals(List.of("sci+"), log);
    }

    @Test
    void powerButtonRaisesTheSciOnlyWhenEnabled() {
        assertEquals(AcpiPm.SCI_EN, in(AcpiPm.PM1_CNT, 2), "always in ACPI mode");
        pm.pressPowerButton();
        assertEquals(AcpiPm.PWRBTN, in(AcpiPm.PM1_STS, 2));
        assertFalse(pm.sciAsserted(), "PWRBTN_EN clear");
        out(AcpiPm.PM1_EN, 2, AcpiPm.PWRBTN);
        assertTrue(pm.sciAsserted());
        assertEquals(List.of("sci+"), log);
        assertEquals(AcpiPm.PWRBTN, in(AcpiPm.PM1_EN, 2));
        out(AcpiPm.PM1_STS, 2, AcpiPm.PWRBTN);
        assertFalse(pm.sciAsserted());
        assertEquals(List.of("sci+", "sci-"), log);
        pm.pressPowerButton();
        assertTrue(pm.sciAsserted(), "pressed again while enabled");
        pm.reset();
        assertFalse(pm.sciAsserted());
        assertEquals(0, in(AcpiPm.PM1_EN, 2));
    }

    @Test
    void s5PowersOffAndTheResetRegisterResets() {
        out(AcpiPm.PM1_CNT, 2, 3 << 10 | AcpiPm.SLP_EN);
        assertEquals(List.of(), log, "S3 is not offered: ignored");
        assertEquals(3 << 10 | AcpiPm.SCI_EN, in(AcpiPm.PM1_CNT, 2), "SLP_EN reads 0");
        out(AcpiPm.PM1_CNT, 2, AcpiPm.SLP_TYP_S5 << 10);
        assertEquals(List.of(), log, "SLP_TYP without SLP_EN does nothing");
        out(AcpiPm.PM1_CNT, 2, AcpiPm.SLP_TYP_S5 << 10 | AcpiPm.SLP_EN);
        assertEquals(List.of("poweroff acpi"), log);
        out(AcpiPm.RESET, 1, 0x01);
        assertEquals(List.of("poweroff acpi"), log);
        out(AcpiPm.RESET, 1, AcpiPm.RESET_VALUE);
        assertEquals(List.of("poweroff acpi", "reset acpi"), log);
    }

    @Test
    void stateCarriesTheRegistersAndTheTimerToAnotherClock() {
        out(AcpiPm.PM1_EN, 2, AcpiPm.PWRBTN);
        pm.pressPowerButton();
        clock.advance(123_456_789);
        AcpiPmState s = pm.save();
        assertEquals(s, AcpiPmState.decode(s.encode()));
        ManualClock other = new ManualClock(42);
        AcpiPm dst = new AcpiPm(IrqLine.NONE, other, PlatformControl.NONE);
        dst.restore(s);
        assertTrue(dst.sciAsserted());
        byte[] d = new byte[4];
        dst.read(AcpiPm.PM_TMR, d);
        int t = (d[0] & 0xff) | (d[1] & 0xff) << 8 | (d[2] & 0xff) << 16;
        assertEquals(s.timer(), t, "the timer continues from its saved value");
        other.advance(1_000_000_000L);
        dst.read(AcpiPm.PM_TMR, d);
        int t2 = (d[0] & 0xff) | (d[1] & 0xff) << 8 | (d[2] & 0xff) << 16;
        assertEquals(3_579_545, (t2 - t) & 0xffffff);
        assertEquals(s.timerHalfs(), dst.save().timerHalfs(), "no TMR_STS toggle invented by the move");
    }

    @Test
    void goldenVersion1StillLoads() throws Exception {
        byte[] golden;
        try (InputStream in = AcpiPmTest.class.getResourceAsStream("/state/v1/acpi-pm.bin")) {
            golden = in.readAllBytes();
        }
        AcpiPmState s = AcpiPmState.decode(golden);
        assertEquals(new AcpiPmState(0x0101, 0x0100, 0x1401, 0xabcdef, 0x123), s);
        assertArrayEquals(golden, s.encode());
        assertThrows(IllegalArgumentException.class, () -> AcpiPmState.decode(new byte[] {0, 2}));
        assertEquals("ACPI PM state is truncated at 4 bytes", assertThrows(IllegalArgumentException.class,
                () -> AcpiPmState.decode(new byte[] {0, 1, 0, 0})).getMessage());
    }
}
