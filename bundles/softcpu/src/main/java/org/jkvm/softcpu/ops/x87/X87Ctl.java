package org.jkvm.softcpu.ops.x87;

import org.jkvm.softcpu.cpu.Cpu;
import org.jkvm.softcpu.cpu.Vec;
import org.jkvm.softcpu.decode.Dec;
import org.jkvm.softcpu.fpu.Fpu;
import org.jkvm.softcpu.fpu.FpuImage;
import org.jkvm.softcpu.ops.MemBlock;
import org.jkvm.softcpu.ops.Op;
import org.jkvm.softcpu.sys.Control;

/**
 * x87 control instructions (Intel SDM vol. 2): FNINIT, FNCLEX, FLDCW, FNSTCW, FNSTSW (m16 and AX), FNSTENV,
 * FLDENV, FNSAVE, FRSTOR, the 8087/287 leftovers FNENI/FNDISI/FNSETPM (no-ops), and WAIT/FWAIT. The FN* forms do
 * not wait for pending exceptions; FLDCW, FLDENV and FRSTOR do. None records the instruction pointers.
 */
public final class X87Ctl extends X87Op {
    public static final int FNINIT = 0;
    public static final int FNCLEX = 1;
    public static final int FLDCW = 2;
    public static final int FNSTCW = 3;
    public static final int FNSTSW = 4;
    public static final int FNSTSW_AX = 5;
    public static final int FNSTENV = 6;
    public static final int FLDENV = 7;
    public static final int FNSAVE = 8;
    public static final int FRSTOR = 9;
    public static final int NOP = 10;

    private final int kind;
    private final boolean op32;

    public X87Ctl(Dec d, int opcode, int kind) {
        super(d, opcode);
        this.kind = kind;
        this.op32 = d.osz != 1;
    }

    @Override
    public void exec(Cpu c) {
        boolean waits = kind == FLDCW || kind == FLDENV || kind == FRSTOR;
        Fpu f = waits ? waiting(c) : available(c);
        switch (kind) {
            case FNINIT: f.finit(); return;
            case FNCLEX: f.fsw &= ~(0x3f | Fpu.SF | Fpu.ES | Fpu.BUSY); return;
            case FLDCW: f.setControl((int) readMem(c, 2)); return;
            case FNSTCW: writeMem(c, 2, f.fcw); return;
            case FNSTSW: writeMem(c, 2, f.status()); return;
            case FNSTSW_AX: c.setReg(0, 1, 0, f.status()); return;
            case NOP: return;
            default: break;
        }
        boolean real = !c.protectedMode || c.vm86;
        int envBytes = op32 ? 28 : 14;
        byte[] b = new byte[envBytes + 80];
        switch (kind) {
            case FNSTENV:
                FpuImage.env(f, b, op32, real);
                MemBlock.write(c, lin(c, envBytes, true), b, 0, envBytes);
                f.fcw |= 0x3f;
                f.updateEs();
                return;
            case FNSAVE: {
                FpuImage.env(f, b, op32, real);
                for (int i = 0; i < 8; i++) {
                    int p = f.phys(i);
                    long m = f.st[p];
                    for (int k = 0; k < 8; k++) {
                        b[envBytes + 10 * i + k] = (byte) (m >>> (8 * k));
                    }
                    b[envBytes + 10 * i + 8] = (byte) f.se[p];
                    b[envBytes + 10 * i + 9] = (byte) (f.se[p] >>> 8);
                }
                MemBlock.write(c, lin(c, envBytes + 80, true), b, 0, envBytes + 80);
                f.finit();
                return;
            }
            case FLDENV:
                MemBlock.read(c, lin(c, envBytes, false), b, envBytes);
                FpuImage.setEnv(f, b, op32, real);
                return;
            default: {
                MemBlock.read(c, lin(c, envBytes + 80, false), b, envBytes + 80);
                FpuImage.setEnv(f, b, op32, real);
                for (int i = 0; i < 8; i++) {
                    int p = f.phys(i);
                    long m = 0;
                    for (int k = 7; k >= 0; k--) {
                        m = m << 8 | (b[envBytes + 10 * i + k] & 0xff);
                    }
                    f.st[p] = m;
                    f.se[p] = (b[envBytes + 10 * i + 8] & 0xff) | (b[envBytes + 10 * i + 9] & 0xff) << 8;
                }
            }
        }
    }

    /** WAIT/FWAIT (9B): #NM when CR0.MP and CR0.TS are both set, then delivers a pending x87 exception. */
    public static final class Fwait extends Op {
        public Fwait(Dec d) {
            super(d);
        }

        @Override
        public void exec(Cpu c) {
            long both = Control.CR0_MP | Control.CR0_TS;
            if ((c.cr0 & both) == both) {
                throw c.fault(Vec.NM);
            }
            if ((c.fpu.fsw & Fpu.ES) != 0 && (c.cr0 & Control.CR0_NE) != 0) {
                throw c.fault(Vec.MF);
            }
        }
    }
}
