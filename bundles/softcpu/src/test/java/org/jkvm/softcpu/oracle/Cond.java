package org.jkvm.softcpu.oracle;

/** The 16 x86 condition codes (the low nibble of Jcc/SETcc/CMOVcc opcodes). */
final class Cond {
    /** Mnemonic suffixes by condition number. */
    static final String[] NAMES = {"O", "NO", "B", "AE", "E", "NE", "BE", "A", "S", "NS", "P", "NP", "L", "GE",
        "LE", "G"};

    private Cond() {
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
