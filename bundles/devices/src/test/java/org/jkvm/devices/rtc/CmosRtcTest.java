package org.jkvm.devices.rtc;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.jkvm.devices.ManualClock;
import org.jkvm.devices.RecordingLine;
import org.junit.jupiter.api.Test;

/** The MC146818 as Linux's rtc-cmos and mc146818 code use it, on a clock the test moves by hand. */
class CmosRtcTest {
    /** 2026-03-14 15:09:26 UTC, a Saturday. */
    static final long START = 1773500966L;
    static final long MS = 1_000_000L;
    static final long S = 1_000_000_000L;

    final ManualClock clock = new ManualClock(5 * S);
    final RecordingLine irq = new RecordingLine();
    final CmosRtc rtc = new CmosRtc(irq, clock, START);

    int cmos(int reg) {
        return cmos(rtc, reg);
    }

    static int cmos(CmosRtc r, int reg) {
        r.write(0, new byte[] {(byte) reg});
        byte[] d = new byte[1];
        r.read(1, d);
        return d[0] & 0xff;
    }

    void cmos(int reg, int value) {
        rtc.write(0, new byte[] {(byte) reg});
        rtc.write(1, new byte[] {(byte) value});
    }

    String time() {
        return String.format("%02x:%02x:%02x %02x %02x-%02x-%02x%02x", cmos(4), cmos(2), cmos(0), cmos(6), cmos(7),
                cmos(8), cmos(0x32), cmos(9));
    }

    @Test
    void startsAtTheHostTimeInBcdTwentyFourHourMode() {
        assertEquals("15:09:26 07 14-03-2026", time(), "Saturday is day 7");
        assertEquals(0x26, cmos(0x0a), "32.768 kHz divider, 1024 Hz rate, no update in progress");
        assertEquals(0x02, cmos(0x0b));
        assertEquals(0x80, cmos(0x0d), "valid RAM and time");
        assertEquals(0x00, cmos(0x0c));
        assertEquals(0xff, readIndexPort(), "port 0x70 is write-only");
    }

    private int readIndexPort() {
        byte[] d = new byte[1];
        rtc.read(0, d);
        return d[0] & 0xff;
    }

    @Test
    void countsGuestTimeAcrossMidnightAndTheMonth() {
        clock.advance(61 * S + 500 * MS);
        assertEquals("15:10:27 07 14-03-2026", time());
        clock.advance((8 * 3600 + 49 * 60 + 33) * S);
        assertEquals("00:00:00 01 15-03-2026", time(), "Sunday");
        clock.advance(17L * 86400 * S);
        assertEquals("00:00:00 04 01-04-2026", time(), "March has 31 days; a Wednesday");
    }

    @Test
    void binaryAndTwelveHourModesChangeHowTheRegistersRead() {
        cmos(0x0b, 0x06); // binary, 24 h
        assertEquals(26, cmos(0));
        assertEquals(15, cmos(4));
        assertEquals(26, cmos(9));
        assertEquals(20, cmos(0x32));
        cmos(0x0b, 0x00); // BCD, 12 h
        assertEquals(0x83, cmos(4), "3 PM: bit 7 is PM");
        cmos(0x0b, 0x04); // binary, 12 h
        assertEquals(0x83, cmos(4));
    }

    @Test
    void theGuestSetsTheTimeWithTheSetBitAsLinuxDoes() {
        cmos(0x0b, 0x82); // SET: updates stop
        clock.advance(3 * S);
        assertEquals(0x26, cmos(0), "held while SET");
        cmos(0, 0x58);
        cmos(2, 0x59);
        cmos(4, 0x23);
        cmos(7, 0x31);
        cmos(8, 0x12);
        cmos(9, 0x99);
        cmos(0x32, 0x19);
        cmos(6, 0x06);
        cmos(0x0b, 0x02);
        assertEquals("23:59:58 06 31-12-1999", time());
        clock.advance(2 * S);
        assertEquals("00:00:00 07 01-01-2000", time(), "runs from there into the next century");
    }

    @Test
    void aDayOfWeekTheGuestChoseIsKept() {
        cmos(0x0b, 0x82);
        cmos(6, 0x02); // Monday, though the date is a Saturday
        cmos(0x0b, 0x02);
        assertEquals(0x02, cmos(6));
        clock.advance(86400 * S);
        assertEquals(0x03, cmos(6), "and it advances at midnight");
    }

    @Test
    void uipIsSetOnlyInTheLast244MicrosecondsBeforeAnUpdate() {
        clock.advance(999_700_000L); // 300 us before the update: divider at 32758.1 ticks
        assertEquals(0, cmos(0x0a) & 0x80);
        clock.advance(70_000L); // 230 us before: tick 32760
        assertEquals(0x80, cmos(0x0a) & 0x80);
        assertEquals(0x26, cmos(0), "the update has not happened yet");
        clock.advance(230_000L);
        assertEquals(0, cmos(0x0a) & 0x80);
        assertEquals(0x27, cmos(0));
    }

    @Test
    void updateEndedInterruptsComeOncePerSecondUntilRegisterCIsRead() {
        cmos(0x0b, 0x12); // UIE
        assertFalse(irq.level());
        clock.advance(999 * MS);
        assertFalse(irq.level());
        clock.advance(1 * MS);
        assertTrue(irq.level(), "the update at the second boundary");
        clock.advance(3 * S);
        assertEquals(1, irq.edges(), "no new edge until C is read");
        assertEquals(0xd0, cmos(0x0c), "IRQF and UF, and PF of the 1024 Hz rate, which sets without PIE");
        assertFalse(irq.level());
        assertEquals(0x00, cmos(0x0c) & 0x90, "reading C cleared it");
        clock.advance(1 * S);
        assertTrue(irq.level());
        assertEquals(2, irq.edges());
    }

    @Test
    void periodicInterruptsAt1024Hz() {
        cmos(0x0b, 0x42); // PIE, rate 6 = 1024 Hz
        clock.advance(976_562L);
        assertFalse(irq.level(), "just before the first tick (976.5625 us)");
        clock.advance(1);
        assertTrue(irq.level());
        int c = cmos(0x0c);
        assertEquals(0xc0, c & 0xc0, "IRQF and PF");
        clock.advance(10 * MS);
        assertEquals(2, irq.edges());
        cmos(0x0a, 0x2f); // rate 15 = 2 Hz
        cmos(0x0c); // 10.98 ms into the second
        clock.advance(489 * MS);
        assertEquals(2, irq.edges(), "2 Hz: the next tick is at 500 ms of the divider");
        clock.advance(1 * MS);
        assertEquals(3, irq.edges());
    }

    @Test
    void flagsSetWithoutTheirInterruptArmNoTimer() {
        clock.advance(3 * S);
        assertEquals(Long.MAX_VALUE, clock.nextDeadline(), "nothing enabled, no timer");
        assertEquals(0x50, cmos(0x0c), "PF and UF are set anyway, without IRQF");
        assertFalse(irq.level());
        assertEquals(0, clock.fired());
    }

    @Test
    void anAlarmMatchesItsTimeAndDontCareFieldsMatchAnything() {
        cmos(1, 0x30);
        cmos(3, 0x09);
        cmos(5, 0x15); // 15:09:30
        cmos(0x0b, 0x22); // AIE
        clock.advance(3 * S + 900 * MS);
        assertFalse(irq.level());
        clock.advance(100 * MS);
        assertTrue(irq.level(), "at 15:09:30");
        assertEquals(0xf0, cmos(0x0c), "IRQF, AF, the update's UF and the periodic PF");
        cmos(3, 0xc0);
        cmos(5, 0xff); // every minute at :30
        clock.advance(59 * S);
        assertFalse(irq.level());
        clock.advance(1 * S);
        assertTrue(irq.level(), "15:10:30");
        cmos(0x0c);
        cmos(1, 0x75); // second 75 never comes
        clock.advance(3600 * S);
        assertFalse(irq.level());
    }

    @Test
    void aDividerHeldInResetStopsTheClockAndRestartsHalfASecondLater() {
        cmos(0x0a, 0x76); // DV = 111: reset
        clock.advance(10 * S);
        assertEquals(0x26, cmos(0));
        cmos(0x0a, 0x26);
        clock.advance(499 * MS);
        assertEquals(0x26, cmos(0));
        clock.advance(1 * MS);
        assertEquals(0x27, cmos(0), "the first update half a second after the release");
    }

    @Test
    void nmiMaskAndCmosRam() {
        rtc.write(0, new byte[] {(byte) 0x8b});
        assertTrue(rtc.nmiMasked());
        rtc.write(0, new byte[] {0x40});
        rtc.write(1, new byte[] {0x5a});
        assertEquals(0x5a, cmos(0x40));
        assertFalse(rtc.nmiMasked());
        rtc.setCmos(0x34, 0x12);
        assertEquals(0x12, cmos(0x34));
        assertThrows(IllegalArgumentException.class, () -> rtc.setCmos(0x0b, 0));
        cmos(0x0d, 0);
        assertEquals(0x80, cmos(0x0d), "D is read-only");
    }

    @Test
    void aRestoredRtcGoesOnFromTheSavedTimeOnAnotherClock() {
        cmos(0x0b, 0x12); // UIE
        clock.advance(2 * S + 250 * MS);
        assertTrue(irq.level());
        cmos(0x40, 0x77);
        RtcState saved = rtc.save();
        assertEquals(8192, saved.phaseTicks(), "a quarter into the second");
        assertEquals(0xd0, saved.flags(), "UF and PF, and IRQF: the line was up");
        assertArrayEquals(saved.cmos(), RtcState.decode(saved.encode()).cmos());
        assertEquals(saved, RtcState.decode(saved.encode()));

        ManualClock other = new ManualClock(123_456 * S);
        RecordingLine line = new RecordingLine();
        CmosRtc copy = new CmosRtc(line, other, 0);
        copy.restore(saved);
        assertTrue(line.level(), "the pending update interrupt is still pending");
        assertEquals(saved, copy.save());
        other.advance(0);
        assertEquals(1, line.edges(), "the restored controllers had that edge; no second one comes");
        other.advance(750 * MS);
        RtcState later = copy.save();
        assertEquals(0x29, later.cmos()[0], "15:09:29 after 750 ms more");
        assertEquals(0x77, later.cmos()[0x40] & 0xff);
    }

    @Test
    void aFlagTheSaveFoundBeforeItsTimerFiredGetsItsEdgeAfterTheRestore() {
        cmos(0x0b, 0x42); // PIE, 1024 Hz
        clock.jump(2 * MS); // the timer thread is late: the first tick is due but has not fired
        assertFalse(irq.level());
        RtcState saved = rtc.save();
        assertEquals(0x40, saved.flags(), "PF, evaluated by the save; IRQF clear: the source sent no edge");
        assertFalse(irq.level(), "the save itself sends nothing (the controllers may be saved already)");

        ManualClock other = new ManualClock(77 * S);
        RecordingLine line = new RecordingLine();
        CmosRtc copy = new CmosRtc(line, other, 0);
        copy.restore(saved);
        assertFalse(line.level(), "the restored controllers never saw the edge");
        other.advance(0);
        assertTrue(line.level(), "the destination sends the edge the source owed, once its timers run");
        assertEquals(1, line.edges());
        assertEquals(0xc0, cmos(copy, 0x0c), "IRQF and PF, for the guest's handler");
    }

    @Test
    void aBadStateIsOneSentence() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> RtcState.decode(new byte[10]));
        assertEquals("RTC state is truncated at 10 bytes", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new RtcState(new byte[128], 40000, 0, 0, false));
    }
}
