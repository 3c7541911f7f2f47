package org.jkvm.softcpu.fpu;

/**
 * An unpacked floating-point operand: its class, sign, and for finite values a normalised 64-bit significand (bit
 * 63 set) with the unbiased exponent of that bit, so the value is {@code sig * 2^(exp - 63)}. Denormal encodings are
 * normalised here and remembered in {@link #denormal} (the x87/SSE denormal-operand exception). NaNs keep their
 * payload aligned as in the 80-bit format: bit 63 set, bit 62 the quiet bit, the rest of the fraction below.
 * Mutable scratch owned by one {@link Fp}; not thread-safe.
 */
public final class Num {
    public static final int ZERO = 0;
    public static final int FINITE = 1;
    public static final int INF = 2;
    public static final int QNAN = 3;
    public static final int SNAN = 4;
    /** An 80-bit encoding the x87 does not support (unnormal, pseudo-infinity, pseudo-NaN): invalid operand. */
    public static final int BAD = 5;

    public int cls;
    public boolean neg;
    public int exp;
    public long sig;
    public boolean denormal;

    /** Whether this is a NaN (quiet or signalling). */
    public boolean nan() {
        return cls == QNAN || cls == SNAN;
    }

    /** Sets a finite value {@code sig * 2^(exp - 63)} (sig normalised). */
    public Num finite(boolean negative, int exponent, long significand) {
        cls = FINITE;
        neg = negative;
        exp = exponent;
        sig = significand;
        denormal = false;
        return this;
    }

    /** Sets a zero, infinity or (with {@code significand}) NaN of class {@code c}. */
    public Num special(int c, boolean negative, long significand) {
        cls = c;
        neg = negative;
        exp = 0;
        sig = significand;
        denormal = false;
        return this;
    }

    /** Copies {@code o}. */
    public Num copy(Num o) {
        cls = o.cls;
        neg = o.neg;
        exp = o.exp;
        sig = o.sig;
        denormal = o.denormal;
        return this;
    }

    @Override
    public String toString() {
        String[] n = {"zero", "finite", "inf", "qnan", "snan", "bad"};
        return (neg ? "-" : "+") + n[cls] + (cls == FINITE ? " 0x" + Long.toHexString(sig) + "p" + exp : "");
    }
}
