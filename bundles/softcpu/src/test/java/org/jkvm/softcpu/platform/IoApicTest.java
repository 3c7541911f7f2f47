package org.jkvm.softcpu.platform;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;

import org.jkvm.hypervisor.pc.IoapicState;
import org.junit.jupiter.api.Test;

/** The I/O APIC's registers and pin logic (82093AA data sheet), with a recording sink for deliveries. */
class IoApicTest {
    private final List<Long> delivered = new ArrayList<>();
    private final IoApic io = new IoApic(e -> delivered.add(e));

    private void write(int reg, int v) {
        io.write(0x00, reg);
        io.write(0x10, v);
    }

    private int read(int reg) {
        io.write(0x00, reg);
        return io.read(0x10);
    }

    @Test
    void identificationRegisters() {
        assertEquals(0x00170011, read(1), "version 0x11, 24 entries");
        write(0, 0x0a000000);
        assertEquals(0x0a000000, read(0));
        assertEquals(0x0a000000, read(2), "arbitration ID follows the ID");
        assertEquals(0x02, io.read(0x00) & 0xff, "IOREGSEL reads back");
        assertEquals(0x10000, read(0x10 + 2 * 23), "reset: masked");
    }

    @Test
    void redirectionEntriesKeepTheirReadOnlyBits() {
        write(0x10 + 2 * 3, 0xffffffff);
        write(0x11 + 2 * 3, 0xffffffff);
        assertEquals(0x0001afff, read(0x10 + 2 * 3), "delivery status and remote IRR cannot be written");
        assertEquals(0xff000000, read(0x11 + 2 * 3));
    }

    @Test
    void edgePinDeliversOncePerRisingEdgeAndLosesEdgesWhileMasked() {
        write(0x10 + 2 * 4, 0x10031);
        io.setIrq(4, true);
        io.setIrq(4, false);
        write(0x10 + 2 * 4, 0x31);
        assertEquals(List.of(), delivered, "an edge while masked is lost");
        io.setIrq(4, true);
        io.setIrq(4, true);
        assertEquals(List.of(0x31L), delivered, "a line held high is one edge");
        io.setIrq(4, false);
        io.setIrq(4, true);
        assertEquals(2, delivered.size());
        assertEquals(0, io.save().irr(), "a delivered edge is not pending");
    }

    @Test
    void levelPinAssertedWhileMaskedDeliversAtTheUnmask() {
        write(0x10 + 2 * 11, 0x18051);
        io.setIrq(11, true);
        assertEquals(List.of(), delivered);
        assertEquals(1 << 11, io.save().irr());
        write(0x10 + 2 * 11, 0x8051);
        assertEquals(List.of(0x8051L), delivered);
    }

    @Test
    void levelPinWaitsForTheEoiAndDeliversAgainIfStillAsserted() {
        write(0x11 + 2 * 9, 0x01000000);
        write(0x10 + 2 * 9, 0x8041);
        io.setIrq(9, true);
        assertEquals(List.of(0x01000000_00008041L), delivered);
        assertEquals(0xc041, read(0x10 + 2 * 9), "remote IRR set");
        io.setIrq(9, true);
        assertEquals(1, delivered.size(), "no delivery while remote IRR is set");
        io.eoi(0x41);
        assertEquals(2, delivered.size(), "still asserted at the EOI: delivered again");
        io.setIrq(9, false);
        io.eoi(0x41);
        assertEquals(0x8041, read(0x10 + 2 * 9), "the EOI cleared remote IRR");
        assertEquals(2, delivered.size());
    }

    @Test
    void handBuiltStateAsKvmReportsIt() {
        long[] r = IoapicState.reset().redirection();
        r[2] = 0x30;                       // IRQ 0 (the PIT), edge, fixed, to APIC 0
        r[9] = 0x8039 | 1L << 14;          // the SCI: level, in service (remote IRR)
        io.restore(new IoapicState(0, 0x12, 1 << 9, r));
        assertEquals(0x12, io.read(0x00), "IOREGSEL restored");
        assertEquals(0xc039, read(0x10 + 2 * 9));
        io.setIrq(2, true);
        assertEquals(List.of(0x30L), delivered);
        io.eoi(0x39);
        assertEquals(List.of(0x30L, 0x8039L), delivered, "the asserted level pin delivers after the EOI");
        assertEquals(new IoapicState(0, 0x10 + 2 * 9, 1 << 9, withRemote(r)), io.save(), "IRR: the level pin");
    }

    private static long[] withRemote(long[] r) {
        long[] c = r.clone();
        c[9] |= 1L << 14;
        return c;
    }
}
