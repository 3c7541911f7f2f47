package org.jkvm.softcpu;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.jkvm.hypervisor.x86.ActivityState;
import org.jkvm.hypervisor.x86.CpuState;
import org.jkvm.hypervisor.x86.DebugRegisters;
import org.jkvm.hypervisor.x86.DescriptorTable;
import org.jkvm.hypervisor.x86.Msr;
import org.jkvm.hypervisor.x86.PendingEvents;
import org.jkvm.hypervisor.x86.Registers;
import org.jkvm.hypervisor.x86.SegmentRegister;
import org.jkvm.hypervisor.x86.SystemRegisters;
import org.jkvm.softcpu.cpu.Cpu;
import org.jkvm.softcpu.cpu.FlagState;
import org.jkvm.softcpu.sys.KvmClock;
import org.jkvm.softcpu.sys.Modes;
import org.jkvm.softcpu.sys.Msrs;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Converts between the CPU's fields and the architectural records of the seam. */
final class StateIo {
    private static final Logger LOG = LoggerFactory.getLogger(StateIo.class);

    private StateIo() {
    }

    static Registers registers(Cpu c) {
        long[] g = new long[16];
        System.arraycopy(c.r, 0, g, 0, 16);
        return Registers.of(g, c.rip, c.rflags());
    }

    static void setRegisters(Cpu c, Registers regs) {
        long[] g = regs.gprs();
        System.arraycopy(g, 0, c.r, 0, 16);
        c.r[16] = 0;
        c.rip = regs.rip();
        c.setRflags(regs.rflags());
        Modes.update(c);
    }

    private static SegmentRegister seg(Cpu c, int s) {
        return SegmentRegister.fromAccessRights(c.segSel[s], c.segBase[s], (int) c.segLimit[s], c.segAr[s]);
    }

    static SystemRegisters system(Cpu c) {
        return new SystemRegisters(seg(c, Cpu.CS), seg(c, Cpu.DS), seg(c, Cpu.ES), seg(c, Cpu.FS), seg(c, Cpu.GS),
                seg(c, Cpu.SS), seg(c, Cpu.TR), seg(c, Cpu.LDTR), new DescriptorTable(c.gdtBase, c.gdtLimit),
                new DescriptorTable(c.idtBase, c.idtLimit), c.cr0, c.cr2, c.cr3, c.cr4,
                c.intc != null ? c.intc.readCr8() : c.cr8, c.efer, c.apicBase);
    }

    private static void setSeg(Cpu c, int s, SegmentRegister r) {
        c.segSel[s] = r.selector();
        c.segBase[s] = r.base();
        c.segLimit[s] = r.limit() & 0xffffffffL;
        c.segAr[s] = r.accessRights();
    }

    static void setSystem(Cpu c, SystemRegisters sr) {
        setSeg(c, Cpu.CS, sr.cs());
        setSeg(c, Cpu.DS, sr.ds());
        setSeg(c, Cpu.ES, sr.es());
        setSeg(c, Cpu.FS, sr.fs());
        setSeg(c, Cpu.GS, sr.gs());
        setSeg(c, Cpu.SS, sr.ss());
        setSeg(c, Cpu.TR, sr.tr());
        setSeg(c, Cpu.LDTR, sr.ldt());
        c.gdtBase = sr.gdt().base();
        c.gdtLimit = sr.gdt().limit();
        c.idtBase = sr.idt().base();
        c.idtLimit = sr.idt().limit();
        c.cr0 = sr.cr0();
        c.cr2 = sr.cr2();
        c.cr3 = sr.cr3();
        c.cr4 = sr.cr4();
        c.cr8 = sr.cr8();
        c.efer = sr.efer();
        c.apicBase = sr.apicBase();
        boolean pe = (c.cr0 & 1) != 0;
        boolean vm = pe && (c.flags & FlagState.VM) != 0 && (c.efer & (1L << 10)) == 0;
        c.cpl = !pe ? 0 : vm ? 3 : sr.ss().dpl();
        Modes.update(c);
        c.mmu.flushAll();
    }

    static List<Msr> msrs(Cpu c) {
        List<Msr> l = new ArrayList<>();
        for (int index : Msrs.KNOWN) {
            l.add(new Msr(index, c.msrs.read(c, index)));
        }
        l.addAll(c.msrs.mtrrs.save());
        for (Map.Entry<Integer, Long> e : c.msrs.carried.entrySet()) {
            l.add(new Msr(e.getKey(), e.getValue()));
        }
        if (c.intc != null) {
            l.add(new Msr(Msr.IA32_TSC_DEADLINE, c.msrs.read(c, Msr.IA32_TSC_DEADLINE)));
        }
        return l;
    }

    /** Applies MSRs of a restored state: known ones set directly (no WRMSR checks), others kept for later. */
    static void setMsrs(Cpu c, List<Msr> msrs) {
        c.msrs.carried.clear();
        for (Msr m : msrs) {
            long v = m.value();
            switch (m.index()) {
                case Msr.IA32_TSC:
                    long before = c.tsc.read();
                    c.tsc.set(v);
                    c.msrs.kvmClock.tscWritten(before, v);
                    break;
                case KvmClock.MSR_WALL_CLOCK: c.msrs.kvmClock.restoreWallClock(v); break;
                case KvmClock.MSR_SYSTEM_TIME: c.msrs.kvmClock.restoreSystemTime(v); break;
                case Msr.IA32_APIC_BASE: c.apicBase = v; break;
                case Msr.IA32_SYSENTER_CS: c.sysenterCs = v; break;
                case Msr.IA32_SYSENTER_ESP: c.sysenterEsp = v; break;
                case Msr.IA32_SYSENTER_EIP: c.sysenterEip = v; break;
                case Msr.IA32_MISC_ENABLE: c.miscEnable = v; break;
                case Msr.IA32_PAT: c.pat = v; break;
                case Msr.IA32_EFER: c.efer = v; break;
                case Msr.IA32_STAR: c.star = v; break;
                case Msr.IA32_LSTAR: c.lstar = v; break;
                case Msr.IA32_CSTAR: c.cstar = v; break;
                case Msr.IA32_FMASK: c.fmask = v; break;
                case Msr.IA32_FS_BASE: c.segBase[Cpu.FS] = v; break;
                case Msr.IA32_GS_BASE: c.segBase[Cpu.GS] = v; break;
                case Msr.IA32_KERNEL_GS_BASE: c.kernelGsBase = v; break;
                case Msr.IA32_TSC_AUX: c.tscAux = v; break;
                default:
                    if (c.msrs.mtrrs.restore(m.index(), v)) {
                        break;
                    }
                    LOG.debug("software CPU: keeping MSR 0x{} = 0x{} it does not use", Integer.toHexString(m.index()),
                            Long.toHexString(v));
                    c.msrs.carried.put(m.index(), v);
            }
        }
        Modes.update(c);
    }

    static PendingEvents events(Cpu c) {
        return new PendingEvents(null, -1, false, c.pendingIrq, false, false, c.nmiMasked, c.shadow > 0,
                c.movSsShadow);
    }

    static ActivityState activity(Cpu c) {
        return c.shutdown ? ActivityState.SHUTDOWN : c.waitSipi ? ActivityState.WAIT_FOR_SIPI
                : c.halted ? ActivityState.HALTED : ActivityState.ACTIVE;
    }

    static DebugRegisters debug(Cpu c) {
        return new DebugRegisters(c.dr[0], c.dr[1], c.dr[2], c.dr[3], c.dr[6], c.dr[7]);
    }

    static void setDebug(Cpu c, DebugRegisters d) {
        c.dr[0] = d.dr0();
        c.dr[1] = d.dr1();
        c.dr[2] = d.dr2();
        c.dr[3] = d.dr3();
        c.dr[6] = d.dr6();
        c.dr[7] = d.dr7();
    }

    /** The state a fresh vCPU has (x86 RESET). */
    static void reset(Cpu c) {
        setRegisters(c, new Registers(0, 0, 0, 0x00800f12L, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xfff0,
                Registers.RFLAGS_RESET));
        setSystem(c, SystemRegisters.reset());
        setDebug(c, DebugRegisters.reset());
        c.apicBase = SystemRegisters.APIC_BASE_DEFAULT;
        c.fpu.reset();
    }

    static CpuState save(Cpu c, org.jkvm.hypervisor.x86.XsaveArea fpu) {
        return new CpuState(registers(c), system(c), fpu, c.xcr0, msrs(c), events(c), activity(c), debug(c));
    }
}
