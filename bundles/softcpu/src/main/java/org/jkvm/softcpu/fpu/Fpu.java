package org.jkvm.softcpu.fpu;

/**
 * The x87, MMX and SSE register state of one CPU (Intel SDM vol. 1, chapters 8-11), kept in the shape FXSAVE
 * stores: eight physical 80-bit registers (a 64-bit significand and a 16-bit sign/exponent each; the MMX registers
 * are their significands), the stack top, the control and status words, which physical registers are empty (the
 * abridged tag word), the last instruction's opcode and pointers, sixteen XMM registers as low/high 64-bit halves
 * and MXCSR. The full tag word that FNSTENV/FNSAVE store is derived from the registers' contents, as processors
 * since the Pentium III do.
 *
 * <p>Owned by the CPU's thread; not thread-safe.
 */
public final class Fpu {
    /** FSW bits. */
    public static final int SF = 1 << 6;
    public static final int ES = 1 << 7;
    public static final int C0 = 1 << 8;
    public static final int C1 = 1 << 9;
    public static final int C2 = 1 << 10;
    public static final int C3 = 1 << 14;
    public static final int BUSY = 1 << 15;
    public static final int TOP_BITS = 7 << 11;
    /** The condition-code bits. */
    public static final int CC = C0 | C1 | C2 | C3;
    /** FCW after FNINIT: every exception masked, 64-bit precision, round to nearest. */
    public static final int FCW_INIT = 0x037f;
    public static final int MXCSR_INIT = 0x1f80;
    /**
     * The MXCSR bits this CPU implements: flags, DAZ, masks, rounding, FZ, and AMD's MM (bit 17, misaligned SSE
     * accesses allowed) that KVM guests on AMD hosts can set whatever CPUID says: MXCSR_MASK in FXSAVE images.
     */
    public static final int MXCSR_MASK = 0x2ffff;
    /** MXCSR.MM: 16-byte SSE memory operands need no alignment. */
    public static final int MXCSR_MM = 1 << 17;

    /** Physical registers R0-R7: significand (the MMX register) and sign/exponent. */
    public final long[] st = new long[8];
    public final int[] se = new int[8];
    public int top;
    public int fcw = FCW_INIT;
    /** The status word without TOP (bits 11-13 are kept zero; see {@link #status()}). */
    public int fsw;
    /** Bit {@code i} set: physical register {@code i} is not empty. */
    public int tags;
    /** The last non-control x87 instruction: opcode (11 bits), code and data pointers and selectors. */
    public int fop;
    public long fip;
    public int fcs;
    public long fdp;
    public int fds;

    /** XMM0-15: register {@code i}'s low half at {@code 2i}, its high half at {@code 2i + 1}. */
    public final long[] xmm = new long[32];
    public int mxcsr = MXCSR_INIT;

    /** The arithmetic engine. */
    public final Fp fp = new Fp();
    /** Scratch of 16 bytes for the ops' memory operands. */
    public final long[] scratch = new long[4];

    /** The physical register of ST(i). */
    public int phys(int i) {
        return (top + i) & 7;
    }

    /** Whether ST(i) is empty. */
    public boolean empty(int i) {
        return (tags >> phys(i) & 1) == 0;
    }

    /** Unpacks ST(i) into {@code n}. */
    public Num get(int i, Num n) {
        int p = phys(i);
        return fp.unpack80(se[p], st[p], n);
    }

    /** Sets ST(i) (marking it not empty). */
    public void set(int i, int signExp, long mant) {
        int p = phys(i);
        se[p] = signExp & 0xffff;
        st[p] = mant;
        tags |= 1 << p;
    }

    /** Decrements TOP and sets the new ST(0); the caller checked for stack overflow. */
    public void push(int signExp, long mant) {
        top = (top - 1) & 7;
        set(0, signExp, mant);
    }

    /** Marks ST(0) empty and increments TOP. */
    public void pop() {
        tags &= ~(1 << top);
        top = (top + 1) & 7;
    }

    /** The status word with TOP. */
    public int status() {
        return fsw & ~TOP_BITS | top << 11;
    }

    /** Loads the status word (TOP included); ES and B follow the flags and the mask. */
    public void setStatus(int v) {
        top = (v >> 11) & 7;
        fsw = v & ~TOP_BITS & 0xffff;
        updateEs();
    }

    /**
     * Loads the control word. Bit 6 reads as one and bits 13-15 as zero on every processor since the 387; an
     * exception flag it unmasks makes ES (and B) set, so the next waiting instruction raises #MF.
     */
    public void setControl(int v) {
        fcw = (v & 0x1f7f) | 0x40;
        updateEs();
    }

    /** ES and B: set while some flagged exception is unmasked. */
    public void updateEs() {
        if ((fsw & ~fcw & 0x3f) != 0) {
            fsw |= ES | BUSY;
        } else {
            fsw &= ~(ES | BUSY);
        }
    }

    /** ORs exception flags (and SF) into the status word. */
    public void raise(int flags) {
        fsw |= flags & 0x7f;
        updateEs();
    }

    /** Sets the condition codes {@code cc} (a combination of C0-C3), clearing the others. */
    public void cc(int cc) {
        fsw = fsw & ~CC | cc;
    }

    /** FNINIT: the x87 part of the initial state (MXCSR and XMM untouched). */
    public void finit() {
        fcw = FCW_INIT;
        fsw = 0;
        top = 0;
        tags = 0;
        fop = 0;
        fip = 0;
        fcs = 0;
        fdp = 0;
        fds = 0;
    }

    /** The state after RESET or INIT as KVM gives a new vCPU: FNINIT, MXCSR's default, XMM and R0-R7 zero. */
    public void reset() {
        finit();
        java.util.Arrays.fill(st, 0);
        java.util.Arrays.fill(se, 0);
        java.util.Arrays.fill(xmm, 0);
        mxcsr = MXCSR_INIT;
    }

    /** The full (two-bit) tag of physical register {@code p}: 0 valid, 1 zero, 2 special, 3 empty. */
    public int fullTag(int p) {
        if ((tags >> p & 1) == 0) {
            return 3;
        }
        int e = se[p] & 0x7fff;
        long m = st[p];
        if (e == 0x7fff) {
            return 2;
        }
        if (e == 0) {
            return m == 0 ? 1 : 2;
        }
        return m < 0 ? 0 : 2;
    }

    /** The full tag word. */
    public int fullTagWord() {
        int w = 0;
        for (int p = 0; p < 8; p++) {
            w |= fullTag(p) << (2 * p);
        }
        return w;
    }

    /** Loads a full tag word: only "empty" (3) is kept, the other tags follow the contents. */
    public void setFullTagWord(int w) {
        tags = 0;
        for (int p = 0; p < 8; p++) {
            if ((w >> (2 * p) & 3) != 3) {
                tags |= 1 << p;
            }
        }
    }

    /** What an MMX instruction does to the x87 state: TOP = 0, every register valid. */
    public void mmxEnter() {
        top = 0;
        tags = 0xff;
    }

    /** Writes MMX register {@code i} (sign/exponent all ones, as on hardware). */
    public void setMmx(int i, long v) {
        st[i] = v;
        se[i] = 0xffff;
    }

    /** Whether the x87 state is its initial (FNINIT) state with zero registers (XSAVE's XINUSE[0] clear). */
    public boolean x87Initial() {
        if (fcw != FCW_INIT || status() != 0 || tags != 0 || fop != 0 || fip != 0 || fdp != 0 || fcs != 0
                || fds != 0) {
            return false;
        }
        for (int i = 0; i < 8; i++) {
            if (st[i] != 0 || se[i] != 0) {
                return false;
            }
        }
        return true;
    }

    /** Whether the XMM registers are all zero (XSAVE's XINUSE[1] clear, with MXCSR at its default). */
    public boolean sseInitial() {
        for (long v : xmm) {
            if (v != 0) {
                return false;
            }
        }
        return mxcsr == MXCSR_INIT;
    }
}
