package org.jkvm.softcpu.oracle;

import java.util.ArrayList;
import java.util.List;

/**
 * Compares what a case did on the host and on the CPU under test: the end reached or the exception (vector, RIP,
 * error code, CR2 for #PF), the registers, the flags the case defines ({@link FlagRules}) and the data bytes that
 * changed. Formats a difference as one line that says everything needed to reproduce it.
 */
final class Comparison {
    /**
     * Error-code bits compared for #PF: W, RSVD, I/D, and P for user-half addresses (U differs: the host runs at
     * CPL 3; and the host's kernel half is present, so a user access there faults with P set, while the guest maps
     * nothing there).
     */
    private static final long PF_ERROR_BITS = 0x1A;
    private static final String[] VECTORS = {"#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM", "#DF", "#9",
        "#TS", "#NP", "#SS", "#GP", "#PF", "#15", "#MF", "#AC", "#MC", "#XM"};

    private Comparison() {
    }

    /** The differences, one short phrase each; empty when the results agree. */
    static List<String> differences(OracleCase c, OracleResult host, OracleResult soft) {
        List<String> d = new ArrayList<>();
        if (host.vector() == OracleResult.NO_RESULT) {
            d.add("no result on the host: " + host.detail());
            return d;
        }
        if (soft.vector() == OracleResult.NO_RESULT) {
            d.add("no result: " + soft.detail());
            return d;
        }
        if (host.vector() != soft.vector() || host.rip() != soft.rip()) {
            d.add("outcome host " + outcome(host) + ", soft " + outcome(soft));
        }
        boolean completed = host.completed() && soft.completed();
        if (!completed && host.vector() == soft.vector()) {
            long mask = host.vector() != 14 ? -1L : host.cr2() >= 0 && host.cr2() < 1L << 47 ? PF_ERROR_BITS | 1
                    : PF_ERROR_BITS;
            if (((host.errorCode() ^ soft.errorCode()) & mask) != 0) {
                d.add(String.format("error code host 0x%x soft 0x%x", host.errorCode(), soft.errorCode()));
            }
            // Which byte of a masked store (MASKMOVQ/MASKMOVDQU) a #PF names is the implementation's choice (this
            // AMD host names the aligned dword's first byte): the page must match.
            long cr2Mask = c.what().contains("MASKMOV") ? ~0xfffL : -1L;
            if (host.vector() == 14 && ((host.cr2() ^ soft.cr2()) & cr2Mask) != 0) {
                d.add(String.format("CR2 host 0x%x soft 0x%x", host.cr2(), soft.cr2()));
            }
        }
        for (int i = 0; i < 16; i++) {
            long bits = (c.upperUndefined() & 1 << i) != 0 ? 0xFFFFFFFFL : -1L;
            if ((c.regMask() & 1 << i) != 0 && ((host.gprs()[i] ^ soft.gprs()[i]) & bits) != 0) {
                d.add(String.format("%s host 0x%x soft 0x%x", OracleCase.GPR_NAMES[i], host.gprs()[i],
                        soft.gprs()[i]));
            }
        }
        long mask = completed ? c.flagMask() : c.faultFlagMask();
        long flags = (host.rflags() ^ soft.rflags()) & mask;
        if (flags != 0) {
            d.add("flags " + FlagRules.names(flags) + " host " + FlagRules.names(host.rflags() & flags) + "|"
                    + String.format("0x%x", host.rflags() & FlagRules.COMPARABLE) + " soft "
                    + FlagRules.names(soft.rflags() & flags) + "|"
                    + String.format("0x%x", soft.rflags() & FlagRules.COMPARABLE));
        }
        String mem = memory(host, soft);
        if (!mem.isEmpty()) {
            d.add(mem);
        }
        FpuComparison.differences(c, host, soft, d);
        return d;
    }

    private static String outcome(OracleResult r) {
        if (r.completed()) {
            return String.format("end %d at 0x%x", r.endIndex(), r.rip());
        }
        String name = r.vector() >= 0 && r.vector() < VECTORS.length ? VECTORS[r.vector()] : "vector " + r.vector();
        return String.format("%s at 0x%x", name, r.rip());
    }

    /** Differences in the changed data bytes, as "mem +OFF host XX soft YY" for the first few. */
    private static String memory(OracleResult host, OracleResult soft) {
        java.util.Map<Integer, Integer> h = toMap(host);
        java.util.Map<Integer, Integer> s = toMap(soft);
        java.util.TreeSet<Integer> offs = new java.util.TreeSet<>(h.keySet());
        offs.addAll(s.keySet());
        StringBuilder sb = new StringBuilder();
        int shown = 0;
        int differ = 0;
        for (int off : offs) {
            Integer a = h.get(off);
            Integer b = s.get(off);
            if (a == null || !a.equals(b)) {
                differ++;
                if (shown++ < 8) {
                    String where = off < Layout.DATA_SIZE ? String.format("data+0x%x", off)
                            : String.format("code+0x%x", off - Layout.DATA_SIZE);
                    sb.append(String.format(" %s host %s soft %s", where, a == null ? "unchanged"
                            : String.format("%02x", a), b == null ? "unchanged" : String.format("%02x", b)));
                }
            }
        }
        return differ == 0 ? "" : "memory (" + differ + " bytes):" + sb;
    }

    private static java.util.Map<Integer, Integer> toMap(OracleResult r) {
        java.util.Map<Integer, Integer> m = new java.util.HashMap<>();
        for (int i = 0; i < r.changedOffsets().length; i++) {
            m.put(r.changedOffsets()[i], r.changedValues()[i] & 0xFF);
        }
        return m;
    }

    /** One line: seed and index, description, bytes and disassembly, the differences, the inputs. */
    static String report(OracleCase c, List<String> diffs) {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format("seed=0x%x index=%d %s | %s", c.seed(), c.index(), c.what(),
                Disassembler.hex(c.code())));
        String asm = Disassembler.text(c.code(), c.startRip());
        if (!asm.isEmpty()) {
            sb.append(" | ").append(asm);
        }
        sb.append(" | ").append(String.join("; ", diffs)).append(" | in:");
        for (int i = 0; i < 16; i++) {
            sb.append(String.format(" %s=%x", OracleCase.GPR_NAMES[i], c.gprs()[i]));
        }
        sb.append(String.format(" rflags=%x", c.rflags()));
        int shown = 0;
        for (OracleCase.Patch p : c.patches()) {
            if (shown++ < 4) {
                sb.append(String.format(" mem+0x%x=%s", p.offset(), Disassembler.hex(p.bytes()).replace(" ", "")));
            }
        }
        if (c.fpu() != null) {
            sb.append(' ').append(FpuComparison.describe(c.fpu().image()));
        }
        return sb.toString();
    }
}
