package org.jkvm.softcpu;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

import org.jkvm.memory.GuestMemory;

/** Little helpers to lay out page tables, gates and descriptors in guest RAM from a test. */
final class Mem {
    private final GuestMemory m;

    Mem(GuestMemory m) {
        this.m = m;
    }

    void w64(long gpa, long v) {
        m.write(gpa, ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(0, v));
    }

    void w32(long gpa, long v) {
        m.write(gpa, ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(0, (int) v));
    }

    long r64(long gpa) {
        ByteBuffer b = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
        m.read(gpa, b);
        return b.getLong(0);
    }

    long r32(long gpa) {
        ByteBuffer b = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN);
        m.read(gpa, b);
        return b.getInt(0) & 0xffffffffL;
    }

    /** A 64-bit interrupt/trap gate (type 0xE / 0xF) at {@code idt + 16 * vector}. */
    void gate64(long idt, int vector, long handler, int ist, int dpl, boolean trap) {
        long lo = (handler & 0xffff) | 0x08L << 16 | (long) ist << 32 | (trap ? 0xfL : 0xeL) << 40
                | (long) dpl << 45 | 1L << 47 | (handler & 0xffff0000L) << 32;
        w64(idt + 16L * vector, lo);
        w64(idt + 16L * vector + 8, handler >>> 32);
    }

    /** A 32-bit interrupt gate at {@code idt + 8 * vector} to {@code sel:handler}. */
    void gate32(long idt, int vector, long handler, int sel, int dpl) {
        long g = (handler & 0xffff) | (long) sel << 16 | 0xeL << 40 | (long) dpl << 45 | 1L << 47
                | (handler & 0xffff0000L) << 32;
        w64(idt + 8L * vector, g);
    }

    /** A 16-byte 64-bit TSS descriptor (available) in the GDT at {@code gdt + sel}. */
    void tssDesc64(long gdt, int sel, long base, int limit) {
        long lo = (limit & 0xffff) | (base & 0xffffff) << 16 | 0x89L << 40 | ((long) (limit >> 16) & 0xf) << 48
                | (base & 0xff000000L) << 32;
        w64(gdt + sel, lo);
        w64(gdt + sel + 8, base >>> 32);
    }

    /** An 8-byte descriptor in the GDT. */
    void desc(long gdt, int sel, long base, long limit, int access, int flags) {
        long d = (limit & 0xffff) | (base & 0xffffff) << 16 | (long) access << 40 | ((limit >> 16) & 0xf) << 48
                | (long) flags << 52 | (base & 0xff000000L) << 32;
        w64(gdt + sel, d);
    }
}
