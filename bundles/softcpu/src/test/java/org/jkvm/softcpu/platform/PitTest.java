package org.jkvm.softcpu.platform;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.jkvm.hypervisor.pc.PitState;
import org.junit.jupiter.api.Test;

/** The 8254 on an injected clock: modes, latches, read-back, BCD, port 0x61, IRQ 0 timing, state. */
class PitTest {
    private final long[] now = {5_000_000_000L};
    private final SoftIrqChip chip = new SoftIrqChip(() -> now[0], false, "test");

    /** Advances the clock by {@code clocks} PIT input clocks (rounded up to whole nanoseconds). */
    private void advance(long clocks) {
        now[0] += PitChannel.nanos(clocks);
        chip.runTimers();
    }

    private void out(int port, int v) {
        chip.pioWrite(port, v);
    }

    private int in(int port) {
        return chip.pioRead(port);
    }

    /** Latches counter {@code ch} and reads its word (LSB then MSB). */
    private int latched(int ch) {
        out(0x43, ch << 6);
        return in(0x40 + ch) | in(0x40 + ch) << 8;
    }

    /**
     * Whether IRQ 0 was requested since the last call (the master PIC's IRR bit); a request is taken as a guest
     * takes it, by the INTA cycle and a non-specific EOI.
     */
    private boolean irq0() {
        PicPair p = chip.pics;
        boolean r = (p.master.irr & 1) != 0;
        if (r) {
            synchronized (chip.lock) {
                chip.picAcknowledge();
            }
            out(0x20, 0x20);
        }
        return r;
    }

    @Test
    void mode2CountsDownReloadsAndTicksIrq0EachPeriod() {
        out(0x43, 0x34);
        out(0x40, 1000 & 0xff);
        out(0x40, 1000 >> 8);
        assertEquals(1000, latched(0));
        advance(300);
        assertEquals(700, latched(0));
        assertFalse(irq0());
        advance(700);
        assertTrue(irq0(), "the reload at the end of the period raises IRQ 0");
        assertEquals(1000, latched(0));
        advance(999);
        assertFalse(irq0());
        advance(1);
        assertTrue(irq0());
        advance(2500);
        assertTrue(irq0(), "a late timer raises IRQ 0 once");
        assertTrue(irq0(), "the missed period is owed: raised at the acknowledgement of the first");
        assertFalse(irq0());
        assertEquals(500, latched(0));
    }

    @Test
    void ticksAreReinjectedOnePerAcknowledgementAsKvmDoes() {
        out(0x43, 0x34);
        out(0x40, 1000 & 0xff);
        out(0x40, 1000 >> 8);
        advance(1000);
        advance(1000);
        advance(1000);
        PicPair p = chip.pics;
        assertEquals(1, p.master.irr & 1, "one request while the guest has interrupts off");
        assertEquals(2, chip.pit.pendingTicks, "two more ticks owed");
        assertTrue(irq0());
        assertTrue(irq0());
        assertTrue(irq0(), "each acknowledgement brings the next owed tick");
        assertFalse(irq0());
        advance(1000);
        advance(1000);
        out(0x43, 0x34);
        out(0x40, 1000 & 0xff);
        out(0x40, 1000 >> 8);
        assertEquals(0, chip.pit.pendingTicks, "reprogramming counter 0 drops the owed ticks");
        assertTrue(irq0());
        assertFalse(irq0(), "nothing owed after the reprogramming");
        out(0x21, 0x01);
        advance(5000);
        assertEquals(0, chip.pit.pendingTicks, "IRQ 0 masked on the PIC and the I/O APIC: nothing is owed");
        assertFalse(chip.pit.awaitingAck);
    }

    @Test
    void mode0OutputRisesAtTerminalCountAndTheCounterWraps() {
        out(0x43, 0x30);
        out(0x40, 100);
        out(0x40, 0);
        out(0x43, 0xe2);
        assertEquals(0x30, in(0x40) & 0xbf, "status: OUT low, word access, mode 0, binary");
        advance(99);
        assertFalse(irq0());
        advance(1);
        assertTrue(irq0(), "terminal count raises OUT, an edge on IRQ 0");
        out(0x43, 0xe2);
        assertEquals(0x80, in(0x40) & 0x80, "OUT stays high");
        advance(10);
        assertEquals(0x10000 - 10, latched(0), "the counter keeps counting down from 0");
        advance(100_000);
        assertFalse(irq0(), "mode 0 interrupts once");
    }

    @Test
    void byteAccessModesLatchAndReadBack() {
        out(0x43, 0x96);   // counter 2, LSB only, mode 3
        out(0x42, 200);
        assertEquals(200, in(0x42) & 0xff);
        out(0x43, 0xa4);   // counter 2, MSB only, mode 2
        out(0x42, 0x12);
        assertEquals(0x12, in(0x42), "MSB-only reads give the high byte");
        out(0x43, 0xb0);   // counter 2, word, mode 0
        out(0x42, 0x34);
        out(0x42, 0x12);
        out(0x43, 0x80);   // latch counter 2
        out(0x61, 1);      // gate on: it counts, the latch holds
        advance(0x100);
        assertEquals(0x34, in(0x42));
        assertEquals(0x12, in(0x42));
        assertEquals(0x1234 - 0x100, latched(2));
        // Read-back of status and count together: status first, then the count.
        out(0x43, 0xc8);
        assertEquals(0x30, in(0x42) & 0x7f, "word access, mode 0, binary");
        int v = in(0x42) | in(0x42) << 8;
        assertEquals(0x1234 - 0x100, v);
    }

    @Test
    void mode3IsASquareWaveCountingDownByTwo() {
        out(0x43, 0x36);
        out(0x40, 1000 & 0xff);
        out(0x40, 1000 >> 8);
        advance(100);
        assertEquals(800, latched(0));
        out(0x43, 0xe2);
        assertEquals(0x80, in(0x40) & 0x80, "OUT high in the first half");
        advance(500);
        assertEquals(800, latched(0), "the second half counts down again");
        out(0x43, 0xe2);
        assertEquals(0, in(0x40) & 0x80, "OUT low in the second half");
        PitState s = chip.savePit();
        SoftIrqChip other = new SoftIrqChip(() -> now[0], false, "other");
        other.restorePit(s);
        assertEquals(s.channels().get(0), other.savePit().channels().get(0), "the half is restored from OUT");
        advance(400);
        assertTrue(irq0(), "OUT rises at the end of the period");
    }

    @Test
    void bcdCountsInDecimal() {
        out(0x43, 0x35);   // counter 0, word, mode 2, BCD
        out(0x40, 0x00);
        out(0x40, 0x10);   // 1000 decimal
        advance(1);
        assertEquals(0x0999, latched(0));
        advance(499);
        assertEquals(0x0500, latched(0));
    }

    @Test
    void port61GatesCounter2AndShowsItsOutputAsLinuxCalibrationPolls() {
        out(0x61, 0);
        out(0x43, 0xb0);
        out(0x42, 0xff);
        out(0x42, 0xff);
        advance(1000);
        assertEquals(0xffff, latched(2), "gate low: mode 0 does not count");
        assertEquals(0, in(0x61) & 0x21);
        out(0x61, 1);
        advance(0xfffe);
        assertEquals(1, latched(2));
        assertEquals(0x01, in(0x61) & 0x21, "OUT2 low before terminal count");
        advance(1);
        assertEquals(0x21, in(0x61) & 0x21, "OUT2 high at terminal count");
        out(0x61, 3);
        assertEquals(3, in(0x61) & 3, "gate and speaker data read back");
    }

    @Test
    void stateContinuesCountingOnAnotherChip() {
        out(0x43, 0x34);
        out(0x40, 0x00);
        out(0x40, 0x10);   // 4096 clocks
        advance(1000);
        PitState s = chip.savePit();
        assertEquals(4096 - 1000, s.channels().get(0).currentCount());
        long[] later = {now[0] + 123_456_789L};
        SoftIrqChip other = new SoftIrqChip(() -> later[0], false, "other");
        other.restorePit(s);
        later[0] += PitChannel.nanos(96);
        other.pioWrite(0x43, 0x00);
        assertEquals(4096 - 1096, other.pioRead(0x40) | other.pioRead(0x40) << 8);
        assertEquals(s.channels().get(1), other.savePit().channels().get(1));
    }

    @Test
    void handBuiltStateAsKvmReportsIt() {
        // Counter 0 in mode 2 (1193 clocks, 500 left), counter 2 gated off in mode 0 with the latch half read.
        PitState.Channel c0 = new PitState.Channel(1193, 500, true, 0, 0, false, 0, 3, 3, 0, 3, 2, false, true, true);
        PitState.Channel c1 = PitState.Channel.reset(true);
        PitState.Channel c2 = new PitState.Channel(0xffff, 0x8000, false, 0x8123, 2, false, 0, 3, 3, 0, 3, 0, false,
                false, true);
        chip.restorePit(new PitState(List.of(c0, c1, c2), false, false));
        assertEquals(0x81, in(0x42), "the rest of the latch comes first");
        assertEquals(0x8000, latched(2), "gate low: counter 2 holds");
        advance(499);
        assertFalse(irq0());
        assertEquals(1, latched(0));
        advance(1);
        assertTrue(irq0(), "counter 0 reloads after the 500 clocks left");
        assertEquals(1193, latched(0));
        PitState again = chip.savePit();
        assertEquals(PitState.reset().channels().get(1), again.channels().get(1));
        assertTrue(again.channels().get(2).armed() && !again.channels().get(2).output());
    }
}
