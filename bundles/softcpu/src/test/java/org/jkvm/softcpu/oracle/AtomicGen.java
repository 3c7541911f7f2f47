package org.jkvm.softcpu.oracle;

import org.jkvm.softcpu.oracle.CpuFeatures.Feature;

/**
 * XCHG (r/m,r with and without LOCK; 90+r including REX.B forms and 32-bit XCHG of a register with itself, which
 * zero-extends), XADD, CMPXCHG (equal and unequal accumulator; the 32-bit forms' zero-extension rules), CMPXCHG8B
 * and CMPXCHG16B (aligned, and a few misaligned 16B operands, which raise #GP).
 */
final class AtomicGen implements Generator {
    @Override
    public String name() {
        return "ATOMIC";
    }

    @Override
    public void generate(CaseBuilder b) {
        int kind = b.rnd.nextInt(100);
        if (kind < 25) {
            xchg(b, b.size(false));
        } else if (kind < 45) {
            xadd(b, b.size(false));
        } else if (kind < 75) {
            cmpxchg(b, b.size(false));
        } else {
            cmpxchgWide(b, b.features.has(Feature.CX16) && b.rnd.nextBoolean());
        }
    }

    private static void xchg(CaseBuilder b, int bits) {
        Asm a = b.sized(new Asm(), bits);
        if (bits != 8 && b.rnd.nextInt(3) == 0) {
            Operand.Reg r = b.reg(bits);
            b.set(Operand.Reg.of(0, bits), Values.of(b.rnd, bits));
            a.op(0x90).opReg(r);
            if (r.num() == 0 && bits != 64) {
                // 90 alone is NOP (and 66 90 too); REX.B 90 is XCHG R8, so name RAX only through 87 below.
                a = b.sized(new Asm(), bits).op(0x87).reg(r).rm(r);
            }
            b.say("XCHG " + r.name() + ",acc");
        } else {
            Operand.Reg r = b.reg(bits);
            Operand rm = b.rnd.nextInt(6) == 0 ? r : b.rm(bits, 50);
            a.op(bits == 8 ? 0x86 : 0x87).reg(r).rm(rm);
            AluGen.lock(b, a, rm, true);
            b.say("XCHG " + Generator.text(rm) + "," + r.name());
        }
        b.emit(b.maybeRex(a));
    }

    private static void xadd(CaseBuilder b, int bits) {
        Asm a = b.sized(new Asm(), bits);
        Operand.Reg r = b.reg(bits);
        Operand rm = b.rm(bits, 50);
        a.op(0x0F, bits == 8 ? 0xC0 : 0xC1).reg(r).rm(rm);
        AluGen.lock(b, a, rm, true);
        b.say("XADD " + Generator.text(rm) + "," + r.name());
        b.emit(b.maybeRex(a));
    }

    private static void cmpxchg(CaseBuilder b, int bits) {
        Asm a = b.sized(new Asm(), bits);
        Operand.Reg acc = Operand.Reg.of(0, bits);
        b.set(acc, Values.of(b.rnd, bits));
        b.pin(0);
        Operand.Reg r = b.reg(bits);
        boolean equal = b.rnd.nextBoolean();
        Operand rm;
        if (b.rnd.nextInt(2) == 0) {
            long t = b.target(bits / 8);
            long v = equal ? b.get(acc) : Values.of(b.rnd, bits);
            b.poke(t, v, bits / 8);
            rm = b.memAt(t, !(r.high()));
        } else {
            Operand.Reg d = b.rnd.nextInt(8) == 0 ? acc : b.reg(bits);
            if (equal && d.num() != 0) {
                b.set(d, b.get(acc));
            }
            rm = d;
        }
        a.op(0x0F, bits == 8 ? 0xB0 : 0xB1).reg(r).rm(rm);
        AluGen.lock(b, a, rm, true);
        if (bits == 32 && rm instanceof Operand.Reg d && b.get(d) != b.get(acc)) {
            // A failing 32-bit CMPXCHG with a register destination: Intel writes the destination back (clearing
            // bits 63:32), AMD leaves it alone.
            b.upperUndefined |= 1 << d.num();
        }
        b.say("CMPXCHG " + Generator.text(rm) + "," + r.name() + (equal ? " (equal)" : ""));
        b.emit(b.maybeRex(a));
    }

    private static void cmpxchgWide(CaseBuilder b, boolean wide) {
        int bytes = wide ? 16 : 8;
        int half = bytes / 2;
        long t = b.target(bytes);
        if (wide && b.rnd.nextInt(10) != 0) {
            t = Layout.DATA_VA + ((t - Layout.DATA_VA) & ~15L);
        }
        long lo = Values.of(b.rnd, half * 8);
        long hi = Values.of(b.rnd, half * 8);
        boolean equal = b.rnd.nextBoolean();
        b.set(Operand.Reg.of(0, half * 8), lo);
        b.set(Operand.Reg.of(2, half * 8), hi);
        b.set(Operand.Reg.of(3, half * 8), Values.of(b.rnd, half * 8));
        b.set(Operand.Reg.of(1, half * 8), Values.of(b.rnd, half * 8));
        for (int n = 0; n < 4; n++) {
            b.pin(n);
        }
        b.poke(t, equal ? lo : Values.of(b.rnd, half * 8), half);
        b.poke(t + half, equal || b.rnd.nextBoolean() ? hi : Values.of(b.rnd, half * 8), half);
        Operand.Mem m = b.memAt(t, true);
        Asm a = new Asm().op(0x0F, 0xC7).ext(1).rm(m);
        if (wide) {
            a.rexW();
        }
        AluGen.lock(b, a, m, true);
        b.say((wide ? "CMPXCHG16B " : "CMPXCHG8B ") + m.text() + (equal ? " (equal)" : "")
                + (wide && (t & 15) != 0 ? " misaligned " + CaseBuilder.MAY_FAULT : ""));
        b.emit(a);
    }
}
