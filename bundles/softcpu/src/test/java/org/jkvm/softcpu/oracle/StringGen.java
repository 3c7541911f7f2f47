package org.jkvm.softcpu.oracle;

/**
 * MOVS CMPS STOS LODS SCAS in every operand size, without a prefix and with REP / REPE / REPNE, DF clear and set,
 * RCX counts 0 to 20, overlapping MOVS operands, REPE/REPNE runs that stop early or run out, a GS override on the
 * source, and 32-bit addressing (67: ESI/EDI/ECX with random upper halves).
 */
final class StringGen implements Generator {
    private static final String[] NAMES = {"MOVS", "CMPS", "STOS", "LODS", "SCAS"};
    private static final int[] OPS = {0xA4, 0xA6, 0xAA, 0xAC, 0xAE};

    @Override
    public String name() {
        return "STRING";
    }

    @Override
    public void generate(CaseBuilder b) {
        int op = b.rnd.nextInt(5);
        int bits = b.size(false);
        int size = bits / 8;
        boolean compare = op == 1 || op == 4;
        boolean usesSrc = op == 0 || op == 1 || op == 3;
        boolean usesDst = op != 3;
        int rep = b.rnd.nextInt(compare ? 3 : 2);
        boolean df = b.rnd.nextBoolean();
        boolean addr32 = b.rnd.nextInt(6) == 0;
        boolean gs = usesSrc && b.rnd.nextInt(6) == 0;
        b.rflags = df ? b.rflags | FlagRules.DF : b.rflags & ~FlagRules.DF;
        int count = b.rnd.nextInt(4) == 0 ? 0 : b.rnd.nextInt(4) == 0 ? b.rnd.nextInt(21) : 1 + b.rnd.nextInt(6);
        int n = rep == 0 ? 1 : Math.max(count, 1);
        int span = n * size;

        long src = pointer(b, span, size, df);
        long dst = op == 0 && b.rnd.nextInt(4) == 0 ? overlap(src, span, size, df) : pointer(b, span, size, df);
        long srcLow = df ? src - span + size : src;
        long dstLow = df ? dst - span + size : dst;
        if (usesSrc) {
            b.pokeRandom(srcLow, span);
        }
        if (usesDst) {
            b.pokeRandom(dstLow, span);
        }
        long acc = Values.of(b.rnd, bits);
        if (compare) {
            int equal = b.rnd.nextInt(n + 1);
            for (int i = 0; i < equal; i++) {
                long at = df ? dst - (long) i * size : dst + (long) i * size;
                if (op == 1) {
                    long from = df ? src - (long) i * size : src + (long) i * size;
                    b.pokeBytes(at, b.peek(from, size));
                } else {
                    b.poke(at, acc, size);
                }
            }
        }
        long upper = addr32 ? b.rnd.nextLong() & 0xFFFFFFFF00000000L : 0;
        b.set(Operand.Reg.of(0, bits), acc);
        b.pin(0);
        b.pin(6, (gs ? src - Layout.GS_BASE : src) | upper);
        b.pin(7, dst | (addr32 ? b.rnd.nextLong() & 0xFFFFFFFF00000000L : 0));
        b.pin(1, addr32 ? b.rnd.nextLong() & 0xFFFFFFFF00000000L | count : count);
        Asm a = b.sized(new Asm(), bits);
        if (rep != 0) {
            a.prefixFirst(rep == 1 ? 0xF3 : 0xF2);
        }
        if (gs) {
            a.prefix(0x65);
        }
        if (addr32) {
            a.prefix(0x67);
        }
        a.op(OPS[op] + (bits == 8 ? 0 : 1));
        b.say((rep == 0 ? "" : rep == 2 ? "REPNE " : compare ? "REPE " : "REP ") + NAMES[op] + " size " + size
                + " count " + count + (df ? " DF=1" : "") + (gs ? " gs" : "") + (addr32 ? " a32" : ""));
        b.emit(b.maybeRex(a));
    }

    /** A pointer whose {@code span} bytes (walking down when {@code df}) lie inside the data area. */
    private static long pointer(CaseBuilder b, int span, int size, boolean df) {
        long low = b.target(span);
        return df ? low + span - size : low;
    }

    /** A destination overlapping the source by a few elements, in either direction, still inside the area. */
    private static long overlap(long src, int span, int size, boolean df) {
        long d = src + (long) size * ((src & 1) == 0 ? 1 : -1) + ((src >> 3) & 3) - 1;
        long low = df ? d - span + size : d;
        if (!Layout.inData(low, span)) {
            return src;
        }
        return d;
    }
}
