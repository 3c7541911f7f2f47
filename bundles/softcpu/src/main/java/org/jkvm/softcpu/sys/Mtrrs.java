package org.jkvm.softcpu.sys;

import java.util.ArrayList;
import java.util.List;

import org.jkvm.hypervisor.x86.Msr;

/**
 * The memory-type range registers and machine-check globals a kernel reads and writes (Intel SDM vol. 3, 12.11 and
 * 16.3): MTRRcap (8 variable ranges, fixed ranges, write-combining), MTRRdefType, the 11 fixed-range MSRs and the 8
 * base/mask pairs, readable and writable with the architectural checks and no effect on memory accesses (this CPU
 * has no caches to type); MCG_CAP reports a CPU without machine-check banks, MCG_STATUS is writable. All start at
 * zero, as KVM's do.
 *
 * <p>Owned by the vCPU's thread; not thread-safe.
 */
public final class Mtrrs {
    public static final int MTRRCAP = 0xfe;
    public static final int MCG_CAP = 0x179;
    public static final int MCG_STATUS = 0x17a;
    public static final int DEF_TYPE = 0x2ff;
    public static final int PHYS_BASE0 = 0x200;
    /** MTRRcap: 8 variable ranges (VCNT), fixed ranges (FIX, bit 8), write-combining (WC, bit 10). */
    static final long CAP = 8 | 1 << 8 | 1 << 10;
    /** The fixed-range MSRs: 64K at 0, 16K at 0x80000 and 0xA0000, 4K from 0xC0000 to 0xF8000. */
    static final int[] FIXED = {0x250, 0x258, 0x259, 0x268, 0x269, 0x26a, 0x26b, 0x26c, 0x26d, 0x26e, 0x26f};

    private long defType;
    private final long[] fixed = new long[FIXED.length];
    /** PHYSBASE0, PHYSMASK0, ..., PHYSMASK7. */
    private final long[] variable = new long[16];
    private long mcgStatus;

    /** Whether {@code index} is one of these MSRs. */
    public static boolean handles(int index) {
        return index == MTRRCAP || index == MCG_CAP || index == MCG_STATUS || index == DEF_TYPE
                || (index >= PHYS_BASE0 && index < PHYS_BASE0 + 16) || fixedSlot(index) >= 0;
    }

    private static int fixedSlot(int index) {
        for (int i = 0; i < FIXED.length; i++) {
            if (FIXED[i] == index) {
                return i;
            }
        }
        return -1;
    }

    /** RDMSR of a handled index. */
    public long read(int index) {
        switch (index) {
            case MTRRCAP: return CAP;
            case MCG_CAP: return 0;
            case MCG_STATUS: return mcgStatus;
            case DEF_TYPE: return defType;
            default:
                int f = fixedSlot(index);
                return f >= 0 ? fixed[f] : variable[index - PHYS_BASE0];
        }
    }

    /** Memory types an MTRR may hold: UC, WC, WT, WP, WB. */
    private static boolean validType(long t) {
        return t == 0 || t == 1 || t == 4 || t == 5 || t == 6;
    }

    /**
     * WRMSR of a handled index.
     *
     * @param physBits the physical address width (bits above it are reserved in the base and mask registers)
     * @return false when the value is refused (the caller raises #GP(0)): read-only registers, reserved bits,
     *         memory types that do not exist
     */
    public boolean write(int index, long v, int physBits) {
        long addrMask = ((1L << physBits) - 1) & ~0xfffL;
        switch (index) {
            case MTRRCAP: case MCG_CAP: return false;
            case MCG_STATUS: mcgStatus = v; return true;
            case DEF_TYPE:
                if ((v & ~0xcffL) != 0 || !validType(v & 0xff)) {
                    return false;
                }
                defType = v;
                return true;
            default: break;
        }
        int f = fixedSlot(index);
        if (f >= 0) {
            for (int i = 0; i < 8; i++) {
                if (!validType(v >>> (8 * i) & 0xff)) {
                    return false;
                }
            }
            fixed[f] = v;
            return true;
        }
        int n = index - PHYS_BASE0;
        boolean mask = (n & 1) != 0;
        long allowed = mask ? addrMask | 0x800 : addrMask | 0xff;
        if ((v & ~allowed) != 0 || (!mask && !validType(v & 0xff))) {
            return false;
        }
        variable[n] = v;
        return true;
    }

    /** Sets a register from a restored state (no checks); false when {@code index} is not one of these. */
    public boolean restore(int index, long v) {
        if (!handles(index) || index == MTRRCAP || index == MCG_CAP) {
            return handles(index);
        }
        switch (index) {
            case MCG_STATUS: mcgStatus = v; return true;
            case DEF_TYPE: defType = v; return true;
            default: break;
        }
        int f = fixedSlot(index);
        if (f >= 0) {
            fixed[f] = v;
        } else {
            variable[index - PHYS_BASE0] = v;
        }
        return true;
    }

    /** The writable registers, for a saved state (MTRRcap and MCG_CAP are constants of this CPU). */
    public List<Msr> save() {
        List<Msr> l = new ArrayList<>();
        l.add(new Msr(MCG_STATUS, mcgStatus));
        l.add(new Msr(DEF_TYPE, defType));
        for (int i = 0; i < FIXED.length; i++) {
            l.add(new Msr(FIXED[i], fixed[i]));
        }
        for (int i = 0; i < 16; i++) {
            l.add(new Msr(PHYS_BASE0 + i, variable[i]));
        }
        return l;
    }
}
