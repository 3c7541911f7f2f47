package org.jkvm.kvm;

import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * The special registers, {@code struct kvm_sregs} (312 bytes; {@code KVM_GET_SREGS}/{@code KVM_SET_SREGS}).
 *
 * <pre>
 * offset   0 kvm_segment cs, ds, es, fs, gs, ss, tr, ldt   (8 x 24 bytes)
 *        192 kvm_dtable gdt   208 kvm_dtable idt
 *        224 u64 cr0  232 cr2  240 cr3  248 cr4  256 cr8  264 efer  272 apic_base
 *        280 u64 interrupt_bitmap[4]   (pending external interrupt, one bit per vector)
 * </pre>
 *
 * @param cs              code segment
 * @param ds              data segment
 * @param es              extra segment
 * @param fs              FS
 * @param gs              GS
 * @param ss              stack segment
 * @param tr              task register
 * @param ldt             local descriptor table register
 * @param gdt             GDTR
 * @param idt             IDTR
 * @param cr0             CR0
 * @param cr2             CR2
 * @param cr3             CR3
 * @param cr4             CR4
 * @param cr8             CR8 (task priority)
 * @param efer            IA32_EFER
 * @param apicBase        IA32_APIC_BASE
 * @param interruptBitmap 4 words: the pending interrupt; copied, never shared
 */
public record Sregs(Segment cs, Segment ds, Segment es, Segment fs, Segment gs, Segment ss, Segment tr,
                    Segment ldt, Dtable gdt, Dtable idt, long cr0, long cr2, long cr3, long cr4, long cr8,
                    long efer, long apicBase, long[] interruptBitmap) {
    /** Size of {@code struct kvm_sregs} in bytes. */
    public static final int SIZE = 312;
    /** Size of the compact encoding in bytes. */
    public static final int ENCODED_SIZE = 8 * Segment.ENCODED_SIZE + 2 * Dtable.ENCODED_SIZE + 7 * 8 + 4 * 8;

    /** CR0.PE: protected mode. */
    public static final long CR0_PE = 1L;
    /** CR0.ET: extension type (always 1 on modern CPUs). */
    public static final long CR0_ET = 1L << 4;
    /** CR0.PG: paging. */
    public static final long CR0_PG = 1L << 31;
    /** CR4.PAE: physical address extension (required for long mode). */
    public static final long CR4_PAE = 1L << 5;
    /** EFER.LME: long mode enable. */
    public static final long EFER_LME = 1L << 8;
    /** EFER.LMA: long mode active. */
    public static final long EFER_LMA = 1L << 10;

    /** Validates the bitmap length and copies it. */
    public Sregs {
        if (interruptBitmap.length != 4) {
            throw new IllegalArgumentException("interrupt_bitmap has 4 words, got " + interruptBitmap.length);
        }
        interruptBitmap = interruptBitmap.clone();
    }

    /** A copy of the pending-interrupt bitmap. */
    @Override
    public long[] interruptBitmap() {
        return interruptBitmap.clone();
    }

    /** The segments in kernel order: cs, ds, es, fs, gs, ss, tr, ldt. */
    public Segment[] segments() {
        return new Segment[] {cs, ds, es, fs, gs, ss, tr, ldt};
    }

    /** Copy with other code and data segments (ds, es, fs, gs, ss all set to {@code data}). */
    public Sregs withSegments(Segment code, Segment data) {
        return new Sregs(code, data, data, data, data, data, tr, ldt, gdt, idt, cr0, cr2, cr3, cr4, cr8, efer,
                apicBase, interruptBitmap);
    }

    /** Copy with other control registers and EFER. */
    public Sregs withControl(long newCr0, long newCr3, long newCr4, long newEfer) {
        return new Sregs(cs, ds, es, fs, gs, ss, tr, ldt, gdt, idt, newCr0, cr2, newCr3, newCr4, cr8, newEfer,
                apicBase, interruptBitmap);
    }

    /** Copy with another GDTR and IDTR. */
    public Sregs withTables(Dtable newGdt, Dtable newIdt) {
        return new Sregs(cs, ds, es, fs, gs, ss, tr, ldt, newGdt, newIdt, cr0, cr2, cr3, cr4, cr8, efer, apicBase,
                interruptBitmap);
    }

    /** Reads the kernel layout at {@code offset} of a little-endian buffer. */
    public static Sregs read(ByteBuffer le, int offset) {
        Segment[] s = new Segment[8];
        for (int i = 0; i < s.length; i++) {
            s[i] = Segment.read(le, offset + i * Segment.SIZE);
        }
        long[] bitmap = new long[4];
        for (int i = 0; i < 4; i++) {
            bitmap[i] = le.getLong(offset + 280 + 8 * i);
        }
        return new Sregs(s[0], s[1], s[2], s[3], s[4], s[5], s[6], s[7], Dtable.read(le, offset + 192),
                Dtable.read(le, offset + 208), le.getLong(offset + 224), le.getLong(offset + 232),
                le.getLong(offset + 240), le.getLong(offset + 248), le.getLong(offset + 256),
                le.getLong(offset + 264), le.getLong(offset + 272), bitmap);
    }

    /** Writes the kernel layout at {@code offset} of a little-endian buffer. */
    public void write(ByteBuffer le, int offset) {
        Segment[] s = segments();
        for (int i = 0; i < s.length; i++) {
            s[i].write(le, offset + i * Segment.SIZE);
        }
        gdt.write(le, offset + 192);
        idt.write(le, offset + 208);
        long[] control = {cr0, cr2, cr3, cr4, cr8, efer, apicBase};
        for (int i = 0; i < control.length; i++) {
            le.putLong(offset + 224 + 8 * i, control[i]);
        }
        for (int i = 0; i < 4; i++) {
            le.putLong(offset + 280 + 8 * i, interruptBitmap[i]);
        }
    }

    /** Compact encoding at the buffer's position in the buffer's byte order. */
    public void encode(ByteBuffer out) {
        for (Segment s : segments()) {
            s.encode(out);
        }
        gdt.encode(out);
        idt.encode(out);
        for (long v : new long[] {cr0, cr2, cr3, cr4, cr8, efer, apicBase}) {
            out.putLong(v);
        }
        for (long v : interruptBitmap) {
            out.putLong(v);
        }
    }

    /** Reads what {@link #encode} wrote. */
    public static Sregs decode(ByteBuffer in) {
        Segment[] s = new Segment[8];
        for (int i = 0; i < s.length; i++) {
            s[i] = Segment.decode(in);
        }
        Dtable gdt = Dtable.decode(in);
        Dtable idt = Dtable.decode(in);
        long[] c = new long[7];
        for (int i = 0; i < c.length; i++) {
            c[i] = in.getLong();
        }
        long[] bitmap = new long[4];
        for (int i = 0; i < 4; i++) {
            bitmap[i] = in.getLong();
        }
        return new Sregs(s[0], s[1], s[2], s[3], s[4], s[5], s[6], s[7], gdt, idt, c[0], c[1], c[2], c[3], c[4],
                c[5], c[6], bitmap);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Sregs x && Arrays.equals(segments(), x.segments()) && gdt.equals(x.gdt)
                && idt.equals(x.idt) && cr0 == x.cr0 && cr2 == x.cr2 && cr3 == x.cr3 && cr4 == x.cr4
                && cr8 == x.cr8 && efer == x.efer && apicBase == x.apicBase
                && Arrays.equals(interruptBitmap, x.interruptBitmap);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(segments()) * 31 + Long.hashCode(cr0 ^ cr3 ^ cr4 ^ efer)
                + Arrays.hashCode(interruptBitmap);
    }

    @Override
    public String toString() {
        return "Sregs[cs=" + cs + ", ds=" + ds + ", gdt=" + gdt + ", idt=" + idt + ", cr0=0x" + Long.toHexString(cr0)
                + ", cr3=0x" + Long.toHexString(cr3) + ", cr4=0x" + Long.toHexString(cr4) + ", efer=0x"
                + Long.toHexString(efer) + ", apicBase=0x" + Long.toHexString(apicBase) + "]";
    }
}
