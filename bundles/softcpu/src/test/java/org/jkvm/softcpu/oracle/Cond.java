package org.jkvm.softcpu.oracle;

/** The 16 x86 condition codes (the low nibble of Jcc/SETcc/CMOVcc opcodes). */
final class Cond {
    /** Mnemonic suffixes by condition number. */
    static final String[] NAMES = {"O", "NO", "B", "AE", "E", "NE", "BE", "A", "S", "NS", "P", "NP", "L", "GE",
        "LE", "G"};

    private Cond() {
    }

    /** The flags condition {@code cc} reads. */
    static long reads(int cc) {
        long[] byPair = {FlagRules.OF, FlagRules.CF, FlagRules.ZF, FlagRules.CF | FlagRules.ZF, FlagRules.SF,
            FlagRules.PF, FlagRules.SF | FlagRules.OF, FlagRules.ZF | FlagRules.SF | FlagRules.OF};
        return byPair[cc >> 1];
    }

    /** A random condition that reads only flags in {@code defined}, or -1 when there is none. */
    static int pick(java.util.SplittableRandom r, long defined) {
        int start = r.nextInt(16);
        for (int i = 0; i < 16; i++) {
            int cc = (start + i) & 15;
            if ((reads(cc) & ~defined) == 0) {
                return cc;
            }
        }
        return -1;
    }

    /** Whether condition {@code cc} holds for {@code rflags} (Intel SDM vol. 1, appendix B). */
    static boolean holds(int cc, long rflags) {
        boolean cf = (rflags & FlagRules.CF) != 0;
        boolean zf = (rflags & FlagRules.ZF) != 0;
        boolean sf = (rflags & FlagRules.SF) != 0;
        boolean of = (rflags & FlagRules.OF) != 0;
        boolean pf = (rflags & FlagRules.PF) != 0;
        boolean r = switch (cc >> 1) {
            case 0 -> of;
            case 1 -> cf;
            case 2 -> zf;
            case 3 -> cf || zf;
            case 4 -> sf;
            case 5 -> pf;
            case 6 -> sf != of;
            default -> zf || sf != of;
        };
        return r != ((cc & 1) != 0);
    }
}
