package org.jkvm.kvm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Kernel layouts (little-endian, exact offsets) and compact encodings (big-endian) of the state records. */
class StateLayoutTest {
    static final Segment CODE64 = new Segment(0, 0xffffffff, 0x08, 11, 1, 0, 0, 1, 1, 1, 0, 0);
    static final Segment DATA = new Segment(0x1000, 0xfffff, 0x10, 3, 1, 3, 1, 1, 0, 1, 1, 0);

    private static ByteBuffer le(int size) {
        return ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
    }

    static Sregs sampleSregs() {
        return new Sregs(CODE64, DATA, DATA, DATA, DATA, DATA, DATA, CODE64, new Dtable(0x500, 31),
                new Dtable(0, 0xffff), 0x80000011L, 0x1234, 0x1000, 0x20, 0, 0x500, 0xfee00900L,
                new long[] {0, 1L << 33, 0, 0});
    }

    @Test
    void regsLayoutAndEncoding() {
        long[] v = new long[18];
        for (int i = 0; i < v.length; i++) {
            v[i] = 0x0101010101010101L * (i + 1);
        }
        Regs regs = Regs.fromArray(v);
        ByteBuffer b = le(Regs.SIZE);
        regs.write(b, 0);
        assertEquals(regs.rip(), b.getLong(128));
        assertEquals(regs.rflags(), b.getLong(136));
        assertEquals(regs.r8(), b.getLong(64));
        assertEquals(regs, Regs.read(b, 0));
        ByteBuffer enc = ByteBuffer.allocate(Regs.ENCODED_SIZE);
        regs.encode(enc);
        assertFalse(enc.hasRemaining());
        assertEquals(regs, Regs.decode(enc.flip()));
        assertEquals(0x2, Regs.atRip(0x100000).rflags());
        assertEquals(77, regs.withRip(77).rip());
    }

    @Test
    void segmentLayout() {
        ByteBuffer b = le(Segment.SIZE);
        DATA.write(b, 0);
        assertEquals(0x1000, b.getLong(0));
        assertEquals(0xfffff, b.getInt(8));
        assertEquals(0x10, b.getShort(12));
        assertEquals(3, b.get(14)); // type
        assertEquals(3, b.get(16)); // dpl
        assertEquals(1, b.get(17)); // db
        assertEquals(1, b.get(21)); // avl
        assertEquals(DATA, Segment.read(b, 0));
        ByteBuffer enc = ByteBuffer.allocate(Segment.ENCODED_SIZE);
        DATA.encode(enc);
        assertFalse(enc.hasRemaining());
        assertEquals(DATA, Segment.decode(enc.flip()));
    }

    @Test
    void sregsLayoutAndEncoding() {
        Sregs s = sampleSregs();
        ByteBuffer b = le(Sregs.SIZE);
        s.write(b, 0);
        assertEquals(0x08, b.getShort(12)); // cs.selector
        assertEquals(0x10, b.getShort(24 + 12)); // ds.selector
        assertEquals(0x500, b.getLong(192)); // gdt.base
        assertEquals(31, b.getShort(200)); // gdt.limit
        assertEquals(0x80000011L, b.getLong(224));
        assertEquals(0x1000, b.getLong(240)); // cr3
        assertEquals(0x500, b.getLong(264)); // efer
        assertEquals(1L << 33, b.getLong(288)); // interrupt_bitmap[1]
        assertEquals(s, Sregs.read(b, 0));
        ByteBuffer enc = ByteBuffer.allocate(Sregs.ENCODED_SIZE);
        s.encode(enc);
        assertFalse(enc.hasRemaining());
        assertEquals(s, Sregs.decode(enc.flip()));
        assertEquals(s.hashCode(), Sregs.decode(enc.flip()).hashCode());
        s.interruptBitmap()[1] = 0;
        assertEquals(1L << 33, s.interruptBitmap()[1], "the record hands out copies");
        assertThrows(IllegalArgumentException.class, () -> new Sregs(CODE64, DATA, DATA, DATA, DATA, DATA, DATA,
                CODE64, s.gdt(), s.idt(), 0, 0, 0, 0, 0, 0, 0, new long[3]));
    }

    @Test
    void msrCpuidDebugXcrsLayouts() {
        ByteBuffer b = le(64);
        new MsrEntry(MsrEntry.IA32_TSC, 0x123456789L).write(b, 0);
        assertEquals(0x10, b.getInt(0));
        assertEquals(0x123456789L, b.getLong(8));

        CpuidEntry leaf = new CpuidEntry(0x40000000, 0, 0, 0, 0, 0, 0);
        leaf = leaf.withOutputs(0x40000010, 0x4b4d564b, 0x564b4d56, 0x4d);
        b = le(CpuidEntry.SIZE);
        leaf.write(b, 0);
        assertEquals(0x40000000, b.getInt(0));
        assertEquals(0x40000010, b.getInt(12));
        assertEquals(0x4d, b.getInt(24));
        assertEquals(leaf, CpuidEntry.read(b, 0));

        DebugRegs d = new DebugRegs(new long[] {1, 2, 3, 4}, 0xffff0ff0L, 0x400, 0);
        b = le(DebugRegs.SIZE);
        d.write(b, 0);
        assertEquals(4, b.getLong(24));
        assertEquals(0x400, b.getLong(40));
        assertEquals(d, DebugRegs.read(b, 0));

        Xcrs x = new Xcrs(List.of(new Xcrs.Xcr(0, 7)), 0);
        b = le(Xcrs.SIZE);
        x.write(b, 0);
        assertEquals(1, b.getInt(0));
        assertEquals(7, b.getLong(16));
        assertEquals(x, Xcrs.read(b, 0));
    }

    @Test
    void compactEncodingsRoundTrip() {
        ByteBuffer out = ByteBuffer.allocate(16384); // big-endian, as the migration stream
        MsrEntry msr = new MsrEntry(0xc0000080, 0x500);
        CpuidEntry cpuid = new CpuidEntry(7, 0, 1, 1, 2, 3, 4);
        DebugRegs dr = new DebugRegs(new long[] {9, 8, 7, 6}, 0xffff0ff0L, 0x400, 0);
        Xcrs xcrs = new Xcrs(List.of(new Xcrs.Xcr(0, 0x7)), 0);
        byte[] raw = new byte[Fpu.SIZE];
        raw[128] = 0x7f;
        raw[129] = 0x03;
        Fpu fpu = new Fpu(raw);
        byte[] xs = new byte[Xsave.SIZE + 64];
        xs[4100] = 9;
        Xsave xsave = new Xsave(xs);
        byte[] ev = new byte[VcpuEvents.SIZE];
        ev[20] = 4;
        VcpuEvents events = new VcpuEvents(ev);
        MpState mp = new MpState(MpState.HALTED);
        msr.encode(out);
        cpuid.encode(out);
        dr.encode(out);
        xcrs.encode(out);
        fpu.encode(out);
        xsave.encode(out);
        events.encode(out);
        mp.encode(out);
        out.flip();
        assertEquals(msr, MsrEntry.decode(out));
        assertEquals(cpuid, CpuidEntry.decode(out));
        assertEquals(dr, DebugRegs.decode(out));
        assertEquals(xcrs, Xcrs.decode(out));
        Fpu fpuBack = Fpu.decode(out);
        assertEquals(fpu, fpuBack);
        assertEquals(0x37f, fpuBack.fcw());
        assertEquals(xsave, Xsave.decode(out));
        VcpuEvents evBack = VcpuEvents.decode(out);
        assertEquals(events, evBack);
        assertEquals(4, evBack.flags());
        assertEquals(mp, MpState.decode(out));
        assertFalse(out.hasRemaining());
    }

    @Test
    void hostileLengthsAreRejected() {
        ByteBuffer bad = ByteBuffer.allocate(8).putInt(Integer.MAX_VALUE).putInt(0).flip();
        assertThrows(IllegalArgumentException.class, () -> Xsave.decode(bad));
        ByteBuffer badXcrs = ByteBuffer.allocate(8).putInt(17).putInt(0).flip();
        assertThrows(IllegalArgumentException.class, () -> Xcrs.decode(badXcrs));
        assertThrows(IllegalArgumentException.class, () -> new Fpu(new byte[10]));
        assertThrows(IllegalArgumentException.class, () -> Regs.fromArray(new long[3]));
    }
}
