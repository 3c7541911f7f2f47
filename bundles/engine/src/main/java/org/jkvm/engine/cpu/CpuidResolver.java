package org.jkvm.engine.cpu;

import java.util.ArrayList;
import java.util.List;

import org.jkvm.engine.CpuSpec;
import org.jkvm.engine.EngineException;
import org.jkvm.hypervisor.Accelerator;
import org.jkvm.hypervisor.x86.CpuidEntry;

/**
 * Turns a {@link CpuSpec} and the backend's supported CPUID ({@code Hypervisor.supportedCpuid()}) into the CPUID
 * table the VM gets, and adds the hypervisor leaves of docs/contracts.md §2: 0x40000000 (EAX = 0x40000010,
 * "KVMKVMKVM\0\0\0") and 0x40000010 (EAX = TSC frequency in kHz).
 *
 * <p>A named model's table is built from the model's definition ({@link ModelCpuid}), its feature bits limited to
 * what the backend supports, so it does not depend on the host or the backend beyond that. {@code host} keeps the
 * backend's supported table. Then {@code +feat} sets a bit (refused when the backend lacks it) and {@code -feat}
 * clears it. Stateless.
 */
public final class CpuidResolver {
    /** The hypervisor vendor leaf. */
    public static final int LEAF_HYPERVISOR = 0x40000000;
    /** The timing leaf: EAX = TSC kHz. */
    public static final int LEAF_TIMING = 0x40000010;

    private CpuidResolver() {
    }

    /**
     * Resolves the table.
     *
     * @param spec      the validated -cpu option
     * @param supported what the backend supports
     * @param tscKhz    the guest TSC frequency in kHz
     * @param accel     the backend, for the sentence when {@code +feat} asks for what it lacks
     * @throws EngineException when {@code +feat} asks for a feature the backend does not support
     */
    public static List<CpuidEntry> resolve(CpuSpec spec, List<CpuidEntry> supported, long tscKhz, Accelerator accel) {
        for (String name : spec.add()) {
            CpuFeature f = CpuFeature.byName(name);
            if (!f.name().equals("hypervisor") && (supported(supported, f) & f.mask()) == 0) {
                throw new EngineException("-cpu " + spec + ": " + (accel == Accelerator.KVM
                        ? "this host's KVM (-accel kvm) does not support the feature '" + name + "'; remove +" + name
                                + " or use another host"
                        : "the software CPU (-accel tcg) does not support the feature '" + name + "'; remove +"
                                + name + " or run with -accel kvm on a host whose CPU has it"));
            }
        }
        CpuModel model = CpuModel.byName(spec.model());
        List<CpuidEntry> out = model.passthrough() ? passthrough(spec, supported) : ModelCpuid.build(model, spec,
                supported);
        // "KVMKVMKVM\0\0\0" as EBX, ECX, EDX little-endian words.
        out.add(new CpuidEntry(LEAF_HYPERVISOR, 0, false, LEAF_TIMING, 0x4b4d564b, 0x564b4d56, 0x4d));
        out.add(new CpuidEntry(LEAF_TIMING, 0, false, (int) tscKhz, 0, 0, 0));
        return List.copyOf(out);
    }

    /** {@code host}: the supported table with {@code +feat} and {@code -feat} applied and vCPU 0's APIC id. */
    private static List<CpuidEntry> passthrough(CpuSpec spec, List<CpuidEntry> supported) {
        List<int[]> regs = new ArrayList<>();
        for (CpuidEntry e : supported) {
            regs.add(new int[] {e.eax(), e.ebx(), e.ecx(), e.edx()});
        }
        for (String name : spec.add()) {
            CpuFeature f = CpuFeature.byName(name);
            int i = indexOf(supported, f.leaf(), f.subleaf());
            if (i >= 0) {
                regs.get(i)[f.register()] |= f.mask();
            }
        }
        for (String name : spec.remove()) {
            CpuFeature f = CpuFeature.byName(name);
            int i = indexOf(supported, f.leaf(), f.subleaf());
            if (i >= 0) {
                // QEMU's "kvmclock" names both MSR pairs: bit 0 (old) with bit 3 (new)
                regs.get(i)[f.register()] &= ~(f.name().equals("kvmclock") ? f.mask() | 1 : f.mask());
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
        return out;
    }

    private static int supported(List<CpuidEntry> supported, CpuFeature f) {
        int i = indexOf(supported, f.leaf(), f.subleaf());
        if (i < 0) {
            return 0;
        }
        CpuidEntry e = supported.get(i);
        return switch (f.register()) {
            case 0 -> e.eax();
            case 1 -> e.ebx();
            case 2 -> e.ecx();
            default -> e.edx();
        };
    }

    /**
     * A backend's supported table may report the APIC id of whichever host CPU answered (KVM does); the guest's
     * vCPU 0 must see APIC id 0 (leaf 1 EBX[31:24], x2APIC id in leaves 0xB/0x1F EDX, AMD's extended APIC id in
     * 0x8000001E EAX), and two hosts must build the same table for migration.
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
            if (entries.get(i).matches(leaf, subleaf)) {
                return i;
            }
        }
        return -1;
    }
}
