package org.jkvm.softcpu.ops.sse;

import org.jkvm.softcpu.cpu.Cpu;
import org.jkvm.softcpu.cpu.FlagState;
import org.jkvm.softcpu.decode.Dec;
import org.jkvm.softcpu.fpu.Fp;
import org.jkvm.softcpu.fpu.FpMath;
import org.jkvm.softcpu.fpu.Fpu;
import org.jkvm.softcpu.fpu.Num;

/**
 * COMISS, UCOMISS, COMISD, UCOMISD: compare the low lanes into ZF, PF, CF (unordered 111, less 001, equal 100,
 * greater 000) and clear OF, SF, AF. COMI raises IE for quiet NaNs too, UCOMI only for signalling ones.
 */
public final class SseComi extends SseOp {
    private final boolean dbl;
    private final boolean signalQuiet;

    public SseComi(Dec d, boolean dbl, boolean signalQuiet) {
        super(d);
        this.dbl = dbl;
        this.signalQuiet = signalQuiet;
    }

    @Override
    public void exec(Cpu c) {
        Fpu f = sse(c);
        Fp fp = f.fp.sse(f.mxcsr);
        long b = dbl ? srcX64(c) : srcX32(c);
        long a = f.xmm[2 * xr];
        Num x = dbl ? fp.unpack64(a, fp.a) : fp.unpack32((int) a, fp.a);
        Num y = dbl ? fp.unpack64(b, fp.b) : fp.unpack32((int) b, fp.b);
        int r = FpMath.compare(fp, x, y, signalQuiet);
        commit(c, f, fp);
        c.setArith(r == FpMath.GT ? 0 : r == FpMath.LT ? FlagState.CF : r == FpMath.EQ ? FlagState.ZF
                : FlagState.ZF | FlagState.PF | FlagState.CF);
    }
}
