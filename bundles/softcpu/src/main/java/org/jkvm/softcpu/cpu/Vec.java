package org.jkvm.softcpu.cpu;

/** Exception vectors (Intel SDM vol. 3, table 6-1). */
public final class Vec {
    public static final int DE = 0;
    public static final int DB = 1;
    public static final int NMI = 2;
    public static final int BP = 3;
    public static final int OF = 4;
    public static final int BR = 5;
    public static final int UD = 6;
    public static final int NM = 7;
    public static final int DF = 8;
    public static final int TS = 10;
    public static final int NP = 11;
    public static final int SS = 12;
    public static final int GP = 13;
    public static final int PF = 14;
    public static final int MF = 16;
    public static final int AC = 17;
    public static final int XM = 19;

    private Vec() {
    }

    /** Whether the exception pushes an error code. */
    public static boolean hasError(int v) {
        return v == DF || v == TS || v == NP || v == SS || v == GP || v == PF || v == AC;
    }

    /** The mnemonic, e.g. {@code #GP}. */
    public static String name(int v) {
        String[] n = {"#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM", "#DF", "#09", "#TS", "#NP", "#SS",
            "#GP", "#PF", "#15", "#MF", "#AC", "#MC", "#XM"};
        return v >= 0 && v < n.length ? n[v] : "vector " + v;
    }
}
