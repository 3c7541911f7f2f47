package org.jkvm.softcpu.ops;

import org.jkvm.softcpu.cpu.Cpu;
import org.jkvm.softcpu.decode.Dec;

/**
 * An instruction with a ModRM operand: E (register or memory, by {@link #isReg}) and G (the reg field), both of
 * size index {@link #s}. Memory operands: {@code ea = (r[base] + (r[index] << scale) + disp) & amask} in segment
 * {@link #seg} (r[16] is zero, so a missing base or index costs nothing; RIP-relative displacements are absolute).
 */
public abstract class EOp extends Op {
    protected final int s;
    protected final boolean isReg;
    protected final int rmReg;
    protected final int rmSh;
    protected final int base;
    protected final int index;
    protected final int scale;
    protected final int seg;
    protected final long disp;
    protected final long amask;
    protected final int gReg;
    protected final int gSh;

    protected EOp(Dec d, int s) {
        super(d);
        this.s = s;
        this.isReg = d.mod == 3;
        this.rmReg = d.rmReg(s);
        this.rmSh = d.rmSh(s);
        this.base = d.base;
        this.index = d.index;
        this.scale = d.scale;
        this.seg = d.effSeg;
        this.disp = d.dispFinal();
        this.amask = d.amask;
        this.gReg = d.gReg(s);
        this.gSh = d.gSh(s);
    }

    /** Operand size index (0 = 8 bits ... 3 = 64); for the translator, as are the accessors below. */
    public final int size() {
        return s;
    }

    /** Whether E is a register. */
    public final boolean isReg() {
        return isReg;
    }

    /** E's register number (when {@link #isReg}; 16 = none). */
    public final int rmReg() {
        return rmReg;
    }

    /** G's register number. */
    public final int gReg() {
        return gReg;
    }

    /** E's bit position in its register (8 for AH..BH, else 0). */
    public final int rmShift() {
        return rmSh;
    }

    /** Whether neither operand is a high-byte register (AH..BH). */
    public final boolean noHighByte() {
        return rmSh == 0 && gSh == 0;
    }

    /** The memory operand's base register (16 = none). */
    public final int baseReg() {
        return base;
    }

    /** The memory operand's index register (16 = none). */
    public final int indexReg() {
        return index;
    }

    /** The memory operand's index scale (a shift count, 0-3). */
    public final int scale() {
        return scale;
    }

    /** The memory operand's segment register. */
    public final int seg() {
        return seg;
    }

    /** The memory operand's displacement (absolute for RIP-relative operands). */
    public final long disp() {
        return disp;
    }

    /** The address-size mask of the effective address. */
    public final long amask() {
        return amask;
    }

    /** The effective address (offset in the segment). */
    protected final long ea(Cpu c) {
        return (c.r[base] + (c.r[index] << scale) + disp) & amask;
    }

    /** The linear address of an {@code n}-byte access to the memory operand. */
    protected final long lin(Cpu c, int n, boolean write) {
        return c.addr(seg, ea(c), n, write);
    }

    protected final long readE(Cpu c) {
        return isReg ? c.reg(rmReg, s, rmSh) : c.read(lin(c, 1 << s, false), s);
    }

    protected final void writeE(Cpu c, long v) {
        if (isReg) {
            c.setReg(rmReg, s, rmSh, v);
        } else {
            c.write(lin(c, 1 << s, true), s, v);
        }
    }

    /** Reads E for a read-modify-write, remembering the address in {@code c.rmwLin}. */
    protected final long loadRmw(Cpu c) {
        if (isReg) {
            return c.reg(rmReg, s, rmSh);
        }
        long l = lin(c, 1 << s, true);
        c.rmwLin = l;
        return c.readRmw(l, s);
    }

    /** Writes back the E of a read-modify-write started by {@link #loadRmw}. */
    protected final void storeRmw(Cpu c, long v) {
        if (isReg) {
            c.setReg(rmReg, s, rmSh, v);
        } else {
            c.write(c.rmwLin, s, v);
        }
    }

    protected final long g(Cpu c) {
        return c.reg(gReg, s, gSh);
    }

    protected final void setG(Cpu c, long v) {
        c.setReg(gReg, s, gSh, v);
    }
}
