package org.jkvm.softcpu.sys;

import java.util.LinkedHashMap;
import java.util.Map;

import org.jkvm.hypervisor.x86.Msr;
import org.jkvm.softcpu.cpu.Cpu;
import org.jkvm.softcpu.cpu.InterruptController;
import org.jkvm.softcpu.cpu.Vec;

/**
 * RDMSR/WRMSR. The MSRs this CPU implements live in {@link Cpu} fields (kvmclock's in {@link KvmClock}); MSRs a
 * restored state carried that this CPU does not use (from KVM: async page faults, steal time, ...) are kept in
 * {@link #carried} and read back unchanged, so a guest moved here and back keeps them. Any other index raises
 * #GP(0), as KVM does without ignore_msrs.
 */
public final class Msrs {
    /** Index order of {@link #known}. */
    public static final int[] KNOWN = {Msr.IA32_TSC, Msr.IA32_APIC_BASE, Msr.IA32_SYSENTER_CS,
        Msr.IA32_SYSENTER_ESP, Msr.IA32_SYSENTER_EIP, Msr.IA32_MISC_ENABLE, Msr.IA32_PAT, Msr.IA32_EFER,
        Msr.IA32_STAR, Msr.IA32_LSTAR, Msr.IA32_CSTAR, Msr.IA32_FMASK, Msr.IA32_FS_BASE, Msr.IA32_GS_BASE,
        Msr.IA32_KERNEL_GS_BASE, Msr.IA32_TSC_AUX, KvmClock.MSR_WALL_CLOCK, KvmClock.MSR_SYSTEM_TIME};

    /** MSRs kept for a later save, in the order they arrived. */
    public final Map<Integer, Long> carried = new LinkedHashMap<>();
    /** The MTRRs and machine-check globals. */
    public final Mtrrs mtrrs = new Mtrrs();
    /** The kvmclock MSRs and structures (handled whatever CPUID says, as KVM does by default). */
    public final KvmClock kvmClock = new KvmClock(0, 1_000_000);

    /** Whether this CPU implements {@code index}. */
    public static boolean known(int index) {
        for (int k : KNOWN) {
            if (k == index) {
                return true;
            }
        }
        return false;
    }

    /** RDMSR. */
    public long read(Cpu c, int index) {
        switch (index) {
            case Msr.IA32_TSC: return c.tsc.read();
            case Msr.IA32_APIC_BASE: return c.apicBase;
            case Msr.IA32_SYSENTER_CS: return c.sysenterCs;
            case Msr.IA32_SYSENTER_ESP: return c.sysenterEsp;
            case Msr.IA32_SYSENTER_EIP: return c.sysenterEip;
            case Msr.IA32_MISC_ENABLE: return c.miscEnable;
            case Msr.IA32_PAT: return c.pat;
            case Msr.IA32_EFER: return c.efer;
            case Msr.IA32_STAR: return c.star;
            case Msr.IA32_LSTAR: return c.lstar;
            case Msr.IA32_CSTAR: return c.cstar;
            case Msr.IA32_FMASK: return c.fmask;
            case Msr.IA32_FS_BASE: return c.segBase[Cpu.FS];
            case Msr.IA32_GS_BASE: return c.segBase[Cpu.GS];
            case Msr.IA32_KERNEL_GS_BASE: return c.kernelGsBase;
            case Msr.IA32_TSC_AUX: return c.tscAux;
            case KvmClock.MSR_WALL_CLOCK: return kvmClock.wallClockMsr();
            case KvmClock.MSR_SYSTEM_TIME: return kvmClock.systemTimeMsr();
            default:
                if (Mtrrs.handles(index)) {
                    return mtrrs.read(index);
                }
                if (QuietMsrs.handles(index)) {
                    return 0;
                }
                if (c.intc != null && InterruptController.isApicMsr(index)) {
                    return c.intc.readMsr(c, index);
                }
                Long v = carried.get(index);
                if (v == null) {
                    throw c.fault(Vec.GP, 0);
                }
                return v;
        }
    }

    /** WRMSR (from the guest: with its checks). */
    public void write(Cpu c, int index, long v) {
        switch (index) {
            case Msr.IA32_TSC:
                long before = c.tsc.read();
                c.tsc.set(v);
                kvmClock.tscWritten(before, v);
                kvmClock.publish(v);
                if (c.intc != null) {
                    c.intc.tscChanged();
                }
                return;
            case Msr.IA32_APIC_BASE:
                if (c.intc != null) {
                    c.intc.writeApicBase(c, v);
                } else {
                    c.apicBase = v;
                }
                return;
            case Msr.IA32_SYSENTER_CS: c.sysenterCs = v & 0xffff; return;
            case Msr.IA32_SYSENTER_ESP: c.sysenterEsp = canonical(c, v); return;
            case Msr.IA32_SYSENTER_EIP: c.sysenterEip = canonical(c, v); return;
            case Msr.IA32_MISC_ENABLE: c.miscEnable = v; return;
            case Msr.IA32_PAT: c.pat = pat(c, v); return;
            case Msr.IA32_EFER: Control.writeEfer(c, v); return;
            case Msr.IA32_STAR: c.star = v; return;
            case Msr.IA32_LSTAR: c.lstar = canonical(c, v); return;
            case Msr.IA32_CSTAR: c.cstar = canonical(c, v); return;
            case Msr.IA32_FMASK: c.fmask = v & 0xffffffffL; return;
            case Msr.IA32_FS_BASE: c.segBase[Cpu.FS] = canonical(c, v); Modes.segDerived(c, Cpu.FS); return;
            case Msr.IA32_GS_BASE: c.segBase[Cpu.GS] = canonical(c, v); Modes.segDerived(c, Cpu.GS); return;
            case Msr.IA32_KERNEL_GS_BASE: c.kernelGsBase = canonical(c, v); return;
            case Msr.IA32_TSC_AUX: c.tscAux = v & 0xffffffffL; return;
            case KvmClock.MSR_WALL_CLOCK: kvmClock.writeWallClock(v, c.tsc.read()); return;
            case KvmClock.MSR_SYSTEM_TIME: kvmClock.writeSystemTime(v, c.tsc.read()); return;
            default:
                if (Mtrrs.handles(index)) {
                    if (!mtrrs.write(index, v, c.mmu.walker.maxPhysBits)) {
                        throw c.fault(Vec.GP, 0);
                    }
                    return;
                }
                if (QuietMsrs.handles(index)) {
                    return;
                }
                if (c.intc != null && InterruptController.isApicMsr(index)) {
                    c.intc.writeMsr(c, index, v);
                    return;
                }
                if (!carried.containsKey(index)) {
                    throw c.fault(Vec.GP, 0);
                }
                carried.put(index, v);
        }
    }

    /** IA32_PAT: each of the eight entries must be UC, WC, WT, WP, WB or UC- (0, 1, 4-7), else #GP(0). */
    private static long pat(Cpu c, long v) {
        for (int i = 0; i < 8; i++) {
            long t = v >>> (8 * i) & 0xff;
            if (t == 2 || t == 3 || t > 7) {
                throw c.fault(Vec.GP, 0);
            }
        }
        return v;
    }

    private static long canonical(Cpu c, long v) {
        if (((v << 16) >> 16) != v) {
            throw c.fault(Vec.GP, 0);
        }
        return v;
    }
}
