package org.jkvm.softcpu.ops.sse;

import org.jkvm.softcpu.cpu.Cpu;
import org.jkvm.softcpu.decode.Dec;
import org.jkvm.softcpu.fpu.Fpu;

/**
 * The packed-integer instructions of MMX, SSE and SSE2 with a register or memory source, on MMX registers (no
 * prefix) or XMM registers (66): 0F 60-6D, 74-76, D1-DF, E0-E5, E8-EF, F1-F6, F8-FE, named by their opcode byte;
 * also ANDPS/ANDNPS/ORPS/XORPS and their PD forms (0F 54-57), which are PAND/PANDN/POR/PXOR on XMM registers.
 */
public final class SseInt extends SseOp {
    private final int op;
    private final boolean xmm;

    /**
     * @param op  the opcode byte after 0F (0x54-0x57 mapped to the PAND family by the caller is not needed: they
     *            are accepted as is)
     * @param xmm XMM registers (66 prefix, or the PS/PD logic forms) rather than MMX registers
     */
    public SseInt(Dec d, int op, boolean xmm) {
        super(d);
        this.op = op;
        this.xmm = xmm;
    }

    @Override
    public void exec(Cpu c) {
        if (xmm) {
            Fpu f = sse(c);
            long blo = srcX(c, true);
            long bhi = f.scratch[1];
            int r = 2 * xr;
            long alo = f.xmm[r];
            long ahi = f.xmm[r + 1];
            long rlo;
            long rhi;
            switch (op) {
                case 0x60: case 0x61: case 0x62:
                    rlo = Lanes.interleave(alo, blo, 8 << (op - 0x60));
                    rhi = Lanes.interleave(alo >>> 32, blo >>> 32, 8 << (op - 0x60));
                    break;
                case 0x68: case 0x69: case 0x6a:
                    rlo = Lanes.interleave(ahi, bhi, 8 << (op - 0x68));
                    rhi = Lanes.interleave(ahi >>> 32, bhi >>> 32, 8 << (op - 0x68));
                    break;
                case 0x6c: rlo = alo; rhi = blo; break;
                case 0x6d: rlo = ahi; rhi = bhi; break;
                case 0x63: case 0x67: case 0x6b: {
                    int bits = op == 0x6b ? 32 : 16;
                    boolean signed = op != 0x67;
                    rlo = Lanes.pack(alo, bits, signed) | Lanes.pack(ahi, bits, signed) << 32;
                    rhi = Lanes.pack(blo, bits, signed) | Lanes.pack(bhi, bits, signed) << 32;
                    break;
                }
                case 0xd1: case 0xd2: case 0xd3: case 0xe1: case 0xe2: case 0xf1: case 0xf2: case 0xf3:
                    rlo = shift(alo, blo);
                    rhi = shift(ahi, blo);
                    break;
                default:
                    rlo = lane(alo, blo);
                    rhi = lane(ahi, bhi);
            }
            f.xmm[r] = rlo;
            f.xmm[r + 1] = rhi;
            return;
        }
        Fpu f = mmx(c);
        long b = srcM(c);
        long a = f.st[xr & 7];
        long v;
        switch (op) {
            case 0x60: case 0x61: case 0x62: v = Lanes.interleave(a, b, 8 << (op - 0x60)); break;
            case 0x68: case 0x69: case 0x6a: v = Lanes.interleave(a >>> 32, b >>> 32, 8 << (op - 0x68)); break;
            case 0x63: case 0x67: case 0x6b: {
                int bits = op == 0x6b ? 32 : 16;
                boolean signed = op != 0x67;
                v = Lanes.pack(a, bits, signed) | Lanes.pack(b, bits, signed) << 32;
                break;
            }
            case 0xd1: case 0xd2: case 0xd3: case 0xe1: case 0xe2: case 0xf1: case 0xf2: case 0xf3:
                v = shift(a, b);
                break;
            default: v = lane(a, b);
        }
        f.mmxEnter();
        f.setMmx(xr & 7, v);
    }

    /** The shifts by a count register: D1-D3 logical right, E1-E2 arithmetic right, F1-F3 left (W, D, Q). */
    private long shift(long a, long count) {
        int kind = op >= 0xf0 ? 0 : op >= 0xe0 ? 2 : 1;
        int bits = 16 << ((op & 0xf) - 1);
        return Lanes.shift(a, count, bits, kind);
    }

    /** An operation that works within each 64-bit chunk. */
    private long lane(long a, long b) {
        switch (op) {
            case 0x54: case 0xdb: return a & b;
            case 0x55: case 0xdf: return ~a & b;
            case 0x56: case 0xeb: return a | b;
            case 0x57: case 0xef: return a ^ b;
            case 0x64: return Lanes.each(a, b, 8, true, 4, false);
            case 0x65: return Lanes.each(a, b, 16, true, 4, false);
            case 0x66: return Lanes.each(a, b, 32, true, 4, false);
            case 0x74: return Lanes.eq8(a, b);
            case 0x75: return Lanes.eq16(a, b);
            case 0x76: return Lanes.eq32(a, b);
            case 0xd4: return a + b;
            case 0xd5: return Lanes.mul16(a, b, 0);
            case 0xd8: return Lanes.each(a, b, 8, false, 1, true);
            case 0xd9: return Lanes.each(a, b, 16, false, 1, true);
            case 0xda: return Lanes.each(a, b, 8, false, 2, false);
            case 0xdc: return Lanes.each(a, b, 8, false, 0, true);
            case 0xdd: return Lanes.each(a, b, 16, false, 0, true);
            case 0xde: return Lanes.each(a, b, 8, false, 3, false);
            case 0xe0: return Lanes.each(a, b, 8, false, 5, false);
            case 0xe3: return Lanes.each(a, b, 16, false, 5, false);
            case 0xe4: return Lanes.mul16(a, b, 2);
            case 0xe5: return Lanes.mul16(a, b, 1);
            case 0xe8: return Lanes.each(a, b, 8, true, 1, true);
            case 0xe9: return Lanes.each(a, b, 16, true, 1, true);
            case 0xea: return Lanes.each(a, b, 16, true, 2, false);
            case 0xec: return Lanes.each(a, b, 8, true, 0, true);
            case 0xed: return Lanes.each(a, b, 16, true, 0, true);
            case 0xee: return Lanes.each(a, b, 16, true, 3, false);
            case 0xf4: return (a & 0xffffffffL) * (b & 0xffffffffL);
            case 0xf5: return Lanes.maddwd(a, b);
            case 0xf6: return Lanes.sadbw(a, b);
            case 0xf8: return Lanes.sub8(a, b);
            case 0xf9: return Lanes.sub16(a, b);
            case 0xfa: return Lanes.sub32(a, b);
            case 0xfb: return a - b;
            case 0xfc: return Lanes.add8(a, b);
            case 0xfd: return Lanes.add16(a, b);
            default: return Lanes.add32(a, b);
        }
    }
}
