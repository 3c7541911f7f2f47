package org.jkvm.softcpu.sys;

import java.util.List;

import org.jkvm.hypervisor.x86.CpuidEntry;

/** The CPUID leaves the guest sees (set through {@code setCpuid}); a leaf that is not there reads as zeros (AMD). */
public final class CpuidTable {
    private CpuidEntry[] entries = new CpuidEntry[0];

    /** Replaces the table. */
    public void set(List<CpuidEntry> list) {
        entries = list.toArray(new CpuidEntry[0]);
    }

    /** The table. */
    public List<CpuidEntry> list() {
        return List.of(entries);
    }

    /** The entry answering (leaf, subleaf), or null. */
    public CpuidEntry find(int leaf, int subleaf) {
        for (CpuidEntry e : entries) {
            if (e.matches(leaf, subleaf)) {
                return e;
            }
        }
        return null;
    }

    /** Whether a feature bit is set: {@code reg} 0-3 = EAX..EDX of leaf (subleaf 0). */
    public boolean has(int leaf, int reg, int bit) {
        CpuidEntry e = find(leaf, 0);
        if (e == null) {
            return false;
        }
        int v = reg == 0 ? e.eax() : reg == 1 ? e.ebx() : reg == 2 ? e.ecx() : e.edx();
        return (v >>> bit & 1) != 0;
    }
}
