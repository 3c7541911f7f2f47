package org.jkvm.engine.cpu;

import java.util.ArrayList;
import java.util.List;

import org.jkvm.engine.CpuSpec;
import org.jkvm.engine.EngineException;
import org.jkvm.hypervisor.x86.CpuidEntry;

/**
 * Turns a {@link CpuSpec} and KVM's supported CPUID ({@code KVM_GET_SUPPORTED_CPUID}) into the CPUID table the
 * VM gets ({@code KVM_SET_CPUID2}), and adds the hypervisor leaves of docs/contracts.md §2:
 * 0x40000000 (EAX = 0x40000010, "KVMKVMKVM\0\0\0") and 0x40000010 (EAX = TSC frequency in kHz).
 *
 * <p>For a baseline model the feature registers (leaf 1 ECX/EDX, leaf 7.0 EBX/ECX/EDX, leaf 0x80000001
 * ECX/EDX) are masked to the model's features; {@code host} keeps them as KVM reports. Then {@code +feat} sets
 * a bit (only if KVM supports it) and {@code -feat} clears it. Stateless.
 */
public final class CpuidResolver {
    /** The hypervisor vendor leaf. */
    public static final int LEAF_HYPERVISOR = 0x40000000;
    /** The timing leaf: EAX = TSC kHz. */
    public static final int LEAF_TIMING = 0x40000010;
    private static final int[][] MASKED = {{1, CpuFeature.ECX}, {1, CpuFeature.EDX}, {7, CpuFeature.EBX},
        {7, CpuFeature.ECX}, {7, CpuFeature.EDX}, {0x80000001, CpuFeature.ECX}, {0x80000001, CpuFeature.EDX}};

    private CpuidResolver() {
    }

    /**
     * Resolves the table.
     *
     * @param spec      the validated -cpu option
     * @param supported what KVM supports on this host
     * @param tscKhz    the guest TSC frequency in kHz
     * @throws EngineException when {@code +feat} asks for a feature KVM does not support here
     */
    public static List<CpuidEntry> resolve(CpuSpec spec, List<CpuidEntry> supported, long tscKhz) {
        CpuModel model = CpuModel.byName(spec.model());
        List<int[]> regs = new ArrayList<>();
        for (CpuidEntry e : supported) {
            regs.add(new int[] {e.eax(), e.ebx(), e.ecx(), e.edx()});
        }
        if (!model.passthrough()) {
            int[][] want = new int[supported.size()][4];
            for (String name : model.features()) {
                CpuFeature f = CpuFeature.byName(name);
                int i = indexOf(supported, f.leaf(), f.subleaf());
                if (i >= 0) {
                    want[i][f.register()] |= f.mask();
                }
            }
            for (int[] m : MASKED) {
                int i = indexOf(supported, m[0], 0);
                if (i >= 0) {
                    regs.get(i)[m[1]] &= want[i][m[1]];
                }
            }
        }
        for (String name : spec.add()) {
            CpuFeature f = CpuFeature.byName(name);
            int i = indexOf(supported, f.leaf(), f.subleaf());
            int[] host = i < 0 ? null : new int[] {supported.get(i).eax(), supported.get(i).ebx(),
                supported.get(i).ecx(), supported.get(i).edx()};
            if (host == null || (host[f.register()] & f.mask()) == 0) {
                throw new EngineException("-cpu " + spec + ": this host's KVM does not support the feature '"
                        + name + "'; remove +" + name + " or use another host");
            }
            regs.get(i)[f.register()] |= f.mask();
        }
        for (String name : spec.remove()) {
            CpuFeature f = CpuFeature.byName(name);
            int i = indexOf(supported, f.leaf(), f.subleaf());
            if (i >= 0) {
                regs.get(i)[f.register()] &= ~f.mask();
            }
        }
        List<CpuidEntry> out = new ArrayList<>();
        for (int i = 0; i < supported.size(); i++) {
            CpuidEntry e = supported.get(i);
            if (e.function() == LEAF_HYPERVISOR || e.function() == LEAF_TIMING) {
                continue;
            }
            int[] r = regs.get(i);
            pinApicId(e.function(), r);
            out.add(e.withOutputs(r[0], r[1], r[2], r[3]));
        }
        // "KVMKVMKVM\0\0\0" as EBX, ECX, EDX little-endian words.
        out.add(new CpuidEntry(LEAF_HYPERVISOR, 0, false, LEAF_TIMING, 0x4b4d564b, 0x564b4d56, 0x4d));
        out.add(new CpuidEntry(LEAF_TIMING, 0, false, (int) tscKhz, 0, 0, 0));
        return List.copyOf(out);
    }

    /**
     * KVM_GET_SUPPORTED_CPUID reports the APIC id of whichever host CPU ran the ioctl; the guest's vCPU 0 must
     * see APIC id 0 (leaf 1 EBX[31:24], x2APIC id in leaves 0xB/0x1F EDX, AMD's extended APIC id in 0x8000001E
     * EAX), and two hosts must build the same table for migration.
     */
    private static void pinApicId(int leaf, int[] r) {
        switch (leaf) {
            case 1 -> r[1] &= 0x00ffffff;
            case 0xb, 0x1f -> r[3] = 0;
            case 0x8000001e -> r[0] = 0;
            default -> { }
        }
    }

    /** The entry for {@code leaf}/{@code subleaf} (sub-leaf ignored unless the entry is indexed), or -1. */
    static int indexOf(List<CpuidEntry> entries, int leaf, int subleaf) {
        for (int i = 0; i < entries.size(); i++) {
            CpuidEntry e = entries.get(i);
            if (e.matches(leaf, subleaf)) {
                return i;
            }
        }
        return -1;
    }
}
