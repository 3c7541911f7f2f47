package org.jkvm.hypervisor.x86;

/**
 * A segment register: the visible selector and the hidden descriptor cache the CPU loaded with it (Intel SDM
 * vol. 3, 3.4.3). The limit is in bytes, already scaled by G. In real and virtual-8086 mode the cache holds
 * {@code base = selector * 16} and the attributes the CPU keeps there.
 *
 * @param selector the selector (index, TI, RPL)
 * @param base     linear base address
 * @param limit    the last valid offset, in bytes (0xffff in real mode; 0xffffffff for a flat 4 GiB segment)
 * @param type     descriptor type nibble (code: bit 3 set, bit 1 readable, bit 2 conforming; data: bit 1
 *                 writable, bit 2 expand-down; bit 0 accessed; system types when {@code s} is 0, e.g. 0xb for a
 *                 busy 64-bit TSS, 0x2 for an LDT)
 * @param s        S: 1 for code/data, 0 for system descriptors
 * @param dpl      descriptor privilege level 0-3
 * @param present  P
 * @param avl      AVL (free for software)
 * @param l        L: 64-bit code segment
 * @param db       D/B: 32-bit default operand size (code), 32-bit stack pointer (stack), upper bound (expand-down)
 * @param g        G: the descriptor's limit was in 4 KiB units
 * @param unusable the register was loaded with a null selector in protected mode (any use faults); a
 *                 64-bit-mode SS with a null selector is usable
 */
public record SegmentRegister(int selector, long base, int limit, int type, boolean s, int dpl, boolean present,
                              boolean avl, boolean l, boolean db, boolean g, boolean unusable) {
    /** Validates the field ranges. */
    public SegmentRegister {
        if (selector < 0 || selector > 0xffff || type < 0 || type > 15 || dpl < 0 || dpl > 3) {
            throw new IllegalArgumentException("segment fields out of range: selector 0x"
                    + Integer.toHexString(selector)
                    + ", type " + type + ", dpl " + dpl);
        }
    }

    /** A real-mode segment for {@code selector}: base = selector * 16, limit 0xffff, read/write data or code. */
    public static SegmentRegister realMode(int selector, boolean code) {
        return new SegmentRegister(selector, (long) selector << 4, 0xffff, code ? 0xb : 0x3, true, 0, true, false,
                false, false, false, false);
    }

    /** A flat 4 GiB segment of a protected-mode GDT entry: 32-bit code or read/write data, DPL 0. */
    public static SegmentRegister flat32(int selector, boolean code) {
        return new SegmentRegister(selector, 0, 0xffffffff, code ? 0xb : 0x3, true, 0, true, false, false, true,
                true, false);
    }

    /** A 64-bit code segment (L=1, D=0), DPL 0. */
    public static SegmentRegister code64(int selector) {
        return new SegmentRegister(selector, 0, 0xffffffff, 0xb, true, 0, true, false, true, false, true, false);
    }

    /** A null, unusable segment (what a protected-mode load of selector 0 leaves). */
    public static SegmentRegister unusableNull() {
        return new SegmentRegister(0, 0, 0, 0, false, 0, false, false, false, false, false, true);
    }

    /** The system segment a reset CPU has in TR: a busy 32-bit TSS at 0 with limit 0xffff. */
    public static SegmentRegister resetTr() {
        return new SegmentRegister(0, 0, 0xffff, 0xb, false, 0, true, false, false, false, false, false);
    }

    /** The LDTR of a reset CPU: an LDT at 0 with limit 0xffff. */
    public static SegmentRegister resetLdtr() {
        return new SegmentRegister(0, 0, 0xffff, 0x2, false, 0, true, false, false, false, false, false);
    }

    /** Copy with another selector and base (a real-mode or 64-bit FS/GS base change keeps the attributes). */
    public SegmentRegister withBase(long newBase) {
        return new SegmentRegister(selector, newBase, limit, type, s, dpl, present, avl, l, db, g, unusable);
    }

    /**
     * The access-rights word in the layout of the descriptor's bytes 5-6 (type, S, DPL, P in bits 0-7; AVL, L,
     * D/B, G in bits 12-15), with bit 16 for "unusable" (VMX's layout, also used by debuggers).
     */
    public int accessRights() {
        return type | (s ? 1 << 4 : 0) | dpl << 5 | (present ? 1 << 7 : 0) | (avl ? 1 << 12 : 0) | (l ? 1 << 13 : 0)
                | (db ? 1 << 14 : 0) | (g ? 1 << 15 : 0) | (unusable ? 1 << 16 : 0);
    }

    /** Builds from a selector, base, limit and an {@link #accessRights()} word. */
    public static SegmentRegister fromAccessRights(int selector, long base, int limit, int ar) {
        return new SegmentRegister(selector, base, limit, ar & 15, (ar & 1 << 4) != 0, (ar >> 5) & 3,
                (ar & 1 << 7) != 0, (ar & 1 << 12) != 0, (ar & 1 << 13) != 0, (ar & 1 << 14) != 0,
                (ar & 1 << 15) != 0, (ar & 1 << 16) != 0);
    }
}
