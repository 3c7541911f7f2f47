package org.jkvm.softcpu.oracle;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * Fixed cases kept as text, one per line, so that every difference the oracle once found stays tested whatever
 * the generator becomes: {@code seed ; what ; code ; ends ; gprs ; rflags ; flagMask[/faultFlagMask] ; regMask ;
 * upperUndefined ; patches [; fpu]} (without the fault mask: all comparable flags; {@code fpu}, for a case with x87/SSE
 * state: {@code image/fswIgnore/ulps}, the 512-byte FXSAVE image in hex), with hex numbers (the seed gives the data
 * area's base image), ends and registers comma-separated, patches as {@code offset:bytes} separated by spaces;
 * {@code #} starts a comment line. The resource is {@code /oracle/regressions.txt}.
 */
final class RegressionCases {
    private static final HexFormat HEX = HexFormat.of();

    private RegressionCases() {
    }

    /**
     * Prints the regression line of each {@code seed:index} argument (seeds in hex, as the oracle prints them), for
     * adding a case the oracle found: the generator must see the same classes ({@code -Doracle.classes}) and host
     * features (all here) as the run that found it.
     */
    public static void main(String[] args) {
        for (String a : args) {
            String[] p = a.split(":");
            CaseGenerator g = new CaseGenerator(Long.parseUnsignedLong(p[0].replace("0x", ""), 16), CpuFeatures.all());
            System.out.println(format(g.generate(Integer.parseInt(p[1]))));
        }
    }

    /** The line for {@code c}. */
    static String format(OracleCase c) {
        StringBuilder sb = new StringBuilder(Long.toHexString(c.seed())).append(" ; ")
                .append(c.what().replace(';', ',')).append(" ; ").append(HEX.formatHex(c.code()))
                .append(" ; ");
        for (int i = 0; i < c.ends().length; i++) {
            sb.append(i == 0 ? "" : ",").append(Integer.toHexString(c.ends()[i]));
        }
        sb.append(" ; ");
        for (int i = 0; i < 16; i++) {
            sb.append(i == 0 ? "" : ",").append(Long.toHexString(c.gprs()[i]));
        }
        sb.append(" ; ").append(Long.toHexString(c.rflags())).append(" ; ").append(Long.toHexString(c.flagMask()))
                .append('/').append(Long.toHexString(c.faultFlagMask()))
                .append(" ; ").append(Integer.toHexString(c.regMask())).append(" ; ")
                .append(Integer.toHexString(c.upperUndefined())).append(" ;");
        for (OracleCase.Patch p : c.patches()) {
            sb.append(' ').append(Integer.toHexString(p.offset())).append(':').append(HEX.formatHex(p.bytes()));
        }
        if (c.fpu() != null) {
            sb.append(" ; ").append(HEX.formatHex(c.fpu().image())).append('/')
                    .append(Integer.toHexString(c.fpu().fswIgnore())).append('/').append(c.fpu().ulps());
        }
        return sb.toString();
    }

    /** Parses a line written by {@link #format}; {@code index} numbers it. */
    static OracleCase parse(String line, int index) {
        String[] all = line.split(";", -1);
        if (all.length != 10 && all.length != 11) {
            throw new IllegalArgumentException("regression case " + index + " has " + all.length
                    + " fields, not 10 or 11: " + line);
        }
        FpuCase fpu = null;
        if (all.length == 11) {
            String[] p = all[10].trim().split("/");
            fpu = new FpuCase(HEX.parseHex(p[0]), Integer.parseInt(p[1], 16), Integer.parseInt(p[2]));
        }
        long seed = Long.parseUnsignedLong(all[0].trim(), 16);
        String[] f = java.util.Arrays.copyOfRange(all, 1, 10);
        String[] endText = f[2].trim().split(",");
        int[] ends = new int[endText.length];
        for (int i = 0; i < ends.length; i++) {
            ends[i] = Integer.parseInt(endText[i], 16);
        }
        String[] regText = f[3].trim().split(",");
        long[] gprs = new long[16];
        for (int i = 0; i < 16; i++) {
            gprs[i] = Long.parseUnsignedLong(regText[i], 16);
        }
        List<OracleCase.Patch> patches = new ArrayList<>();
        for (String p : f[8].trim().split("\\s+")) {
            if (!p.isEmpty()) {
                String[] kv = p.split(":");
                patches.add(new OracleCase.Patch(Integer.parseInt(kv[0], 16), HEX.parseHex(kv[1])));
            }
        }
        String[] masks = f[5].trim().split("/");
        long faultMask = masks.length > 1 ? Long.parseUnsignedLong(masks[1], 16) : FlagRules.COMPARABLE;
        return new OracleCase(seed, index, f[0].trim(), HEX.parseHex(f[1].trim()), ends, gprs,
                Long.parseUnsignedLong(f[4].trim(), 16), patches, Long.parseUnsignedLong(masks[0], 16), faultMask,
                Integer.parseInt(f[6].trim(), 16), Integer.parseInt(f[7].trim(), 16), fpu);
    }

    /** The cases of the resource {@code /oracle/regressions.txt}. */
    static List<OracleCase> load() throws IOException {
        List<OracleCase> cases = new ArrayList<>();
        try (InputStream in = RegressionCases.class.getResourceAsStream("/oracle/regressions.txt")) {
            if (in == null) {
                throw new IOException("the resource /oracle/regressions.txt is missing from the test class path");
            }
            for (String line : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
                if (!line.isBlank() && !line.startsWith("#")) {
                    cases.add(parse(line, cases.size()));
                }
            }
        }
        return cases;
    }
}
