package org.jkvm.kvm.hv;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;

import org.jkvm.hypervisor.pc.IoapicState;
import org.jkvm.hypervisor.pc.LapicState;
import org.jkvm.hypervisor.pc.PicState;
import org.jkvm.hypervisor.pc.PitState;
import org.jkvm.kvm.IrqRoute;
import org.jkvm.kvm.KvmIoapicState;
import org.jkvm.kvm.KvmLapicState;
import org.jkvm.kvm.KvmPicState;
import org.jkvm.kvm.KvmPitState2;
import org.junit.jupiter.api.Test;

/** The in-kernel irqchip's and PIT's structures to and from the architectural records, both ways. */
class KvmPlatformTest {
    /** One second of 8254 ticks. */
    static final long SECOND = 1_000_000_000L;
    static final long NOW = 7_000 * SECOND + 123_456_789L;

    @Test
    void picFieldsMapOneToOneBothWays() {
        KvmPicState k = new KvmPicState(0x11, 0x02, 0xfb, 0x01, 3, 0x20, 1, 0, 1, 2, 1, 1, 0, 1, 0x20, 0xf8);
        PicState.Chip c = KvmPlatform.chip(k);
        assertEquals(new PicState.Chip(0x02, 0x01, 0xfb, 0x11, 0x20, 3, true, false, true, 2, true, true, false,
                true, false, 0x20, 0xf8), c);
        assertEquals(k, KvmPlatform.kvmPic(c));
        PicState.Chip single = new PicState.Chip(0, 0, 0, 0, 0x70, 0, false, false, false, 0, false, false, false,
                false, true, 0, 0xde);
        assertEquals(0x70, KvmPlatform.kvmPic(single).irqBase(), "single mode is dropped, the rest kept");
    }

    @Test
    void ioapicMapsWithThePcBaseAddress() {
        long[] table = new long[24];
        for (int i = 0; i < table.length; i++) {
            table[i] = IoapicState.MASKED | 0x30 + i | (long) i << 56;
        }
        IoapicState s = new IoapicState(2, 0x10, 1 << 4, table);
        KvmIoapicState k = KvmPlatform.kvmIoapic(s);
        assertEquals(0xfec00000L, k.baseAddress());
        assertEquals(2, k.id());
        assertEquals(s, KvmPlatform.ioapic(k));
        assertThrows(IllegalArgumentException.class,
                () -> KvmPlatform.kvmIoapic(new IoapicState(16, 0, 0, table)));
    }

    @Test
    void lapicPageIsCarriedByteForByte() {
        byte[] page = new byte[1024];
        for (int i = 0; i < page.length; i++) {
            page[i] = (byte) (i * 7);
        }
        LapicState s = KvmPlatform.lapic(new KvmLapicState(page));
        assertEquals(new LapicState(page), s);
        assertEquals(new KvmLapicState(page), KvmPlatform.kvmLapic(s));
    }

    @Test
    void routingIsAPcs() {
        List<String> routes = new ArrayList<>();
        for (IrqRoute r : KvmPlatform.pcRouting()) {
            routes.add(r.gsi() + ">" + r.chip() + "." + r.pin());
        }
        assertTrue(routes.contains("0>0.0") && routes.contains("0>2.2"), "the PIT: PIC IRQ 0 and I/O APIC pin 2");
        assertFalse(routes.stream().anyMatch(r -> r.startsWith("2>")), "GSI 2, the cascade, goes nowhere");
        assertTrue(routes.contains("4>0.4") && routes.contains("4>2.4"), "COM1");
        assertTrue(routes.contains("8>1.0") && routes.contains("8>2.8"), "the RTC on the slave's IRQ 0");
        assertTrue(routes.contains("23>2.23") && !routes.stream().anyMatch(r -> r.startsWith("23>0")));
        assertEquals(15 * 2 + 8, routes.size(), "15 ISA IRQs on two chips, pins 16-23 on one");
    }

    @Test
    void tickConversionsRoundTrip() {
        assertEquals(PitState.FREQUENCY_HZ, KvmPit.ticks(SECOND));
        assertEquals(0, KvmPit.ticks(837), "one tick is 838.1 ns");
        assertEquals(1, KvmPit.ticks(839));
        assertEquals(3 * 24 * 3600L * PitState.FREQUENCY_HZ, KvmPit.ticks(3 * 24 * 3600L * SECOND),
                "days do not overflow");
        for (long t : new long[] {0, 1, 11931, 65536, 1193181, 1193183, 99_999_999L}) {
            assertEquals(t, KvmPit.ticks(KvmPit.ticksToNs(t)), "ticks " + t);
        }
    }

    private static KvmPitState2.Channel kvm(int count, int mode, long loadedNs) {
        return new KvmPitState2.Channel(count, 0, 0, 0, 0, 3, 3, 0, 3, mode, 0, 1, loadedNs);
    }

    @Test
    void aRateGeneratorReadsFromTheTimeSinceItsLoad() {
        PitState.Channel c = KvmPit.channel(kvm(11932, 2, NOW - KvmPit.ticksToNs(100)), NOW);
        assertEquals(11932, c.initialCount());
        assertEquals(11932 - 100, c.currentCount());
        assertTrue(c.output() && c.armed());
        PitState.Channel twoPeriods = KvmPit.channel(kvm(11932, 2, NOW - KvmPit.ticksToNs(2 * 11932 + 5)), NOW);
        assertEquals(11932 - 5, twoPeriods.currentCount());
        PitState.Channel atOne = KvmPit.channel(kvm(100, 2, NOW - KvmPit.ticksToNs(99)), NOW);
        assertEquals(1, atOne.currentCount());
        assertFalse(atOne.output(), "mode 2: OUT is low for the tick at count 1");
    }

    @Test
    void aSquareWaveIsHighForTheFirstHalf() {
        PitState.Channel first = KvmPit.channel(kvm(1000, 3, NOW - KvmPit.ticksToNs(100)), NOW);
        assertEquals(800, first.currentCount(), "counts down by two");
        assertTrue(first.output());
        PitState.Channel second = KvmPit.channel(kvm(1000, 3, NOW - KvmPit.ticksToNs(600)), NOW);
        assertFalse(second.output());
    }

    @Test
    void aOneShotExpiresAndWraps() {
        PitState.Channel running = KvmPit.channel(kvm(5000, 0, NOW - KvmPit.ticksToNs(1000)), NOW);
        assertEquals(4000, running.currentCount());
        assertTrue(running.armed());
        assertFalse(running.output(), "mode 0: OUT low until terminal count");
        PitState.Channel expired = KvmPit.channel(kvm(5000, 0, NOW - KvmPit.ticksToNs(5010)), NOW);
        assertEquals(0xffff - 9, expired.currentCount(), "wrapped through 0 to 0xffff");
        assertFalse(expired.armed());
        assertTrue(expired.output());
        PitState.Channel strobe = KvmPit.channel(kvm(5000, 4, NOW - KvmPit.ticksToNs(5000)), NOW);
        assertFalse(strobe.output(), "mode 4: the one-tick strobe at terminal count");
    }

    @Test
    void kvmsUnprogrammedCounterIsModeZeroNeverArmed() {
        PitState.Channel c = KvmPit.channel(new KvmPitState2.Channel(0x10000, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0, 1, 0),
                NOW);
        assertEquals(0, c.mode());
        assertEquals(0, c.rwMode());
        assertFalse(c.armed() || c.output());
        assertEquals(KvmPitState2.MODE_UNPROGRAMMED, KvmPit.kvmChannel(c, NOW).mode(), "and goes back as 0xff");
    }

    @Test
    void aPeriodicCounterRestoresItsPeriodAndReadsOnFromTheSavedCount() {
        PitState.Channel saved = new PitState.Channel(11932, 11000, true, 0, 0, false, 0, 3, 3, 0, 3, 2, false, true,
                true);
        long later = NOW + 55 * SECOND;
        KvmPitState2.Channel k = KvmPit.kvmChannel(saved, later);
        assertEquals(11932, k.count());
        assertEquals(2, k.mode());
        assertEquals(saved, KvmPit.channel(k, later), "a read right after the restore gives the saved count");
        PitState.Channel tenLater = KvmPit.channel(k, later + KvmPit.ticksToNs(10));
        assertEquals(10990, tenLater.currentCount());
    }

    @Test
    void anArmedOneShotIsLoadedWithWhatRemains() {
        PitState.Channel saved = new PitState.Channel(50000, 1234, false, 0, 0, false, 0, 3, 3, 0, 3, 0, false, true,
                true);
        KvmPitState2.Channel k = KvmPit.kvmChannel(saved, NOW);
        assertEquals(1234, k.count(), "so channel 0's interrupt comes 1234 ticks after the restore");
        assertEquals(NOW, k.countLoadTime());
        PitState.Channel back = KvmPit.channel(k, NOW + KvmPit.ticksToNs(234));
        assertEquals(1000, back.currentCount());
        assertTrue(back.armed());
        assertFalse(KvmPit.channel(k, NOW + KvmPit.ticksToNs(1234)).armed(), "and then it expires");
    }

    @Test
    void anExpiredOneShotReadsOnFromTheSavedWrappedCount() {
        PitState.Channel saved = KvmPit.channel(kvm(5000, 0, NOW - KvmPit.ticksToNs(5010)), NOW);
        long later = NOW + SECOND;
        KvmPitState2.Channel k = KvmPit.kvmChannel(saved, later);
        assertEquals(5000, k.count());
        PitState.Channel back = KvmPit.channel(k, later);
        assertEquals(saved.currentCount(), back.currentCount());
        assertTrue(back.output() && !back.armed());
    }

    @Test
    void thePitRecordCarriesChannelTwosGateAndTheSpeakerData() {
        KvmPitState2.Channel two = new KvmPitState2.Channel(0x10000, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0, 1, 0);
        KvmPitState2 k = new KvmPitState2(List.of(kvm(100, 2, NOW), kvm(100, 2, NOW), two),
                KvmPitState2.FLAG_SPEAKER_DATA_ON);
        PitState s = KvmPit.pit(k, NOW);
        assertTrue(s.speakerGate() && s.speakerData());
        assertEquals(KvmPitState2.FLAG_SPEAKER_DATA_ON, KvmPit.kvmPit(s, NOW).flags());
        PitState quiet = new PitState(s.channels(), false, false);
        assertEquals(0, KvmPit.kvmPit(quiet, NOW).flags());
    }
}
