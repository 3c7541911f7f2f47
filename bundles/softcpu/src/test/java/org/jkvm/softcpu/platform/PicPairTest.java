package org.jkvm.softcpu.platform;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.jkvm.hypervisor.pc.PicState;
import org.junit.jupiter.api.Test;

/** The 8259A pair's register behaviour (Intel 8259A data sheet), as Linux's i8259 driver and a BIOS use it. */
class PicPairTest {
    /** A pair initialised as a PC BIOS and Linux do: vectors 0x20/0x28, cascade on IRQ 2, 8086 mode. */
    static PicPair initialised(boolean autoEoi) {
        PicPair p = new PicPair();
        int icw4 = autoEoi ? 3 : 1;
        p.write(0x20, 0x11);
        p.write(0x21, 0x20);
        p.write(0x21, 0x04);
        p.write(0x21, icw4);
        p.write(0xa0, 0x11);
        p.write(0xa1, 0x28);
        p.write(0xa1, 0x02);
        p.write(0xa1, icw4);
        return p;
    }

    private static void pulse(PicPair p, int irq) {
        p.setIrq(irq, true);
        p.setIrq(irq, false);
    }

    @Test
    void initialisationSetsVectorsAndClearsTheMask() {
        PicPair p = initialised(false);
        assertEquals(0, p.read(0x21), "ICW1 clears the mask");
        p.write(0x21, 0xfb);
        assertEquals(0xfb, p.read(0x21));
        pulse(p, 0);
        assertFalse(p.intr(), "IRQ 0 is masked");
        p.write(0x21, 0xfa);
        assertTrue(p.intr());
        assertEquals(0x20, p.acknowledge());
        p.write(0x20, 0x20);
        pulse(p, 9);
        assertTrue(p.intr(), "the slave's request reaches the CPU through IRQ 2");
        assertEquals(0x29, p.acknowledge());
    }

    @Test
    void higherPriorityNestsAndLowerWaitsForTheEoi() {
        PicPair p = initialised(false);
        pulse(p, 3);
        assertEquals(0x23, p.acknowledge());
        pulse(p, 4);
        assertFalse(p.intr(), "IRQ 4 waits while IRQ 3 is in service");
        pulse(p, 1);
        assertTrue(p.intr(), "IRQ 1 nests");
        assertEquals(0x21, p.acknowledge());
        p.write(0x20, 0x0b);
        assertEquals(0x0a, p.read(0x20), "OCW3: ISR has IRQ 1 and 3");
        p.write(0x20, 0x20);
        assertEquals(0x08, p.read(0x20), "non-specific EOI ended IRQ 1");
        assertFalse(p.intr());
        p.write(0x20, 0x63);
        assertTrue(p.intr(), "specific EOI of IRQ 3 lets IRQ 4 through");
        p.write(0x20, 0x0a);
        assertEquals(0x10, p.read(0x20), "OCW3: IRR has IRQ 4");
        assertEquals(0x24, p.acknowledge());
    }

    @Test
    void edgeLatchesOnceLevelFollowsTheLineThroughTheElcr() {
        PicPair p = initialised(false);
        p.setIrq(5, true);
        assertEquals(0x25, p.acknowledge());
        p.write(0x20, 0x20);
        assertFalse(p.intr(), "an edge input held high requests once");
        p.setIrq(5, false);
        p.write(0x4d0, 0xff);
        assertEquals(0xf8, p.read(0x4d0), "IRQ 0-2 cannot be level triggered");
        p.setIrq(5, true);
        assertEquals(0x25, p.acknowledge());
        p.write(0x20, 0x20);
        assertTrue(p.intr(), "a level input still high requests again after the EOI");
        p.setIrq(5, false);
        assertFalse(p.intr(), "and stops when the line falls");
    }

    @Test
    void requestThatWentAwayIsSpuriousIrq7AndSpuriousIrq15OnTheSlave() {
        PicPair p = initialised(false);
        p.write(0x4d0, 0x20);
        p.write(0x4d1, 0x08);
        p.setIrq(5, true);
        assertTrue(p.intr());
        p.setIrq(5, false);
        assertEquals(0x27, p.acknowledge(), "no request at the INTA: IRQ 7's vector");
        p.write(0x20, 0x0b);
        assertEquals(0, p.read(0x20), "and nothing in service");
        p.setIrq(11, true);
        p.setIrq(11, false);
        assertEquals(0x2f, p.acknowledge(), "the slave answers with IRQ 15's vector");
        p.write(0xa0, 0x0b);
        assertEquals(0, p.read(0xa0));
        assertEquals(0x04, p.read(0x20), "the master's cascade input is in service");
    }

    @Test
    void automaticEoiAndRotation() {
        PicPair p = initialised(true);
        pulse(p, 3);
        assertEquals(0x23, p.acknowledge());
        p.write(0x20, 0x0b);
        assertEquals(0, p.read(0x20), "AEOI sets no ISR bit");
        p.write(0x20, 0x80);
        pulse(p, 3);
        assertEquals(0x23, p.acknowledge());
        pulse(p, 3);
        pulse(p, 4);
        assertEquals(0x24, p.acknowledge(), "rotate in AEOI made IRQ 3 the lowest priority");
        PicPair q = initialised(false);
        pulse(q, 2 + 4);
        assertEquals(0x26, q.acknowledge());
        q.write(0x20, 0xa0);
        pulse(q, 6);
        pulse(q, 7);
        assertEquals(0x27, q.acknowledge(), "rotate on non-specific EOI: IRQ 7 now has the highest priority");
        q.write(0x20, 0xc4);
        pulse(q, 0);
        pulse(q, 5);
        assertEquals(0x25, q.acknowledge(), "set priority: IRQ 4 lowest, so IRQ 5 highest");
    }

    @Test
    void specialMaskLetsLowerPrioritiesThroughAndPollAcknowledges() {
        PicPair p = initialised(false);
        pulse(p, 1);
        assertEquals(0x21, p.acknowledge());
        pulse(p, 6);
        assertFalse(p.intr());
        p.write(0x21, 0x02);
        p.write(0x20, 0x68);
        assertTrue(p.intr(), "special mask mode: the masked in-service IRQ 1 no longer blocks IRQ 6");
        p.write(0x20, 0x48);
        p.write(0x21, 0x00);
        p.write(0x20, 0x20);
        p.write(0x20, 0x0c);
        assertEquals(0x86, p.read(0x20), "poll: IRQ 6 pending");
        p.write(0x20, 0x0b);
        assertEquals(0x40, p.read(0x20), "the poll acknowledged it");
        p.write(0x20, 0x0c);
        assertEquals(0, p.read(0x20), "poll with nothing pending");
    }

    @Test
    void stateRoundTripsAndAHandBuiltStateBehaves() {
        PicPair p = initialised(false);
        p.write(0x21, 0xb8);
        pulse(p, 1);
        assertEquals(0x21, p.acknowledge());
        pulse(p, 0);
        PicState s = p.save();
        PicPair q = new PicPair();
        q.restore(s);
        assertEquals(s, q.save());
        // As KVM reports a BIOS-initialised pair with IRQ 0 requested and IRQ 1 in service, IRQ 8 level-triggered.
        PicState.Chip master = new PicState.Chip(0x01, 0x02, 0xb8, 0x01, 0x08, 0, false, false, false, 0, false, false,
                false, true, false, 0, 0xf8);
        PicState.Chip slave = new PicState.Chip(0, 0, 0xff, 0, 0x70, 0, false, false, false, 0, false, false, false,
                true, false, 0x00, 0xde);
        PicPair r = new PicPair();
        r.restore(new PicState(master, slave));
        assertTrue(r.intr(), "IRQ 0 outranks IRQ 1 in service");
        assertEquals(0x08, r.acknowledge());
        r.write(0x20, 0x20);
        r.write(0x20, 0x20);
        assertFalse(r.intr());
        assertEquals(0xb8, r.read(0x21));
    }
}
