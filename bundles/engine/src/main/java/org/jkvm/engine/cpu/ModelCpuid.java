package org.jkvm.engine.cpu;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.jkvm.engine.CpuSpec;
import org.jkvm.hypervisor.x86.CpuidEntry;

/**
 * The CPUID table of a named model ({@link CpuModel}): every leaf comes from the model's definition, and only the
 * feature bits are intersected with what the backend supports, so two backends that implement the model's features
 * build the same table. Leaves the model does not describe (caches, topology, power) are zero up to its highest
 * leaves. Stateless.
 *
 * <p>Leaf 0xD (XSAVE) is the one exception: with {@code +xsave} its sizes and component offsets come from the
 * backend (they are the CPU's, and KVM checks them against the host), restricted to x87, SSE and, with
 * {@code +avx}, AVX.
 */
final class ModelCpuid {
    /** CPUID 1 EBX: CLFLUSH line size 8 (x 8 bytes), one logical processor, APIC id 0 (vCPU 0). */
    static final int LEAF1_EBX = 8 << 8;
    /** CPUID 0x80000008 EAX: 40 physical and 48 linear address bits (QEMU's default for these models). */
    static final int ADDRESS_SIZES = 40 | 48 << 8;
    /** XCR0 bits 0 (x87), 1 (SSE), 2 (AVX). */
    private static final int XCR0_X87_SSE = 0x3;
    private static final int XCR0_AVX = 0x4;
    /** The legacy region and the XSAVE header: the smallest XSAVE area. */
    private static final int XSAVE_LEGACY_BYTES = 576;
    private static final int HYPERVISOR_BIT = 1 << 31;
    /** KVM's paravirtual feature leaf: only the model's kvmclock bits the backend offers. */
    private static final int KVM_FEATURES = 0x40000001;

    private ModelCpuid() {
    }

    /** A feature register: leaf, sub-leaf, register (0 EAX ... 3 EDX). */
    private record Reg(int leaf, int subleaf, int register) {
    }

    /**
     * The table for {@code model} with the changes of {@code spec}, feature bits limited to {@code supported}
     * (except the hypervisor bit, which every virtual CPU sets). {@code +feat} was checked against
     * {@code supported} before.
     */
    static List<CpuidEntry> build(CpuModel model, CpuSpec spec, List<CpuidEntry> supported) {
        Map<Reg, Integer> bits = features(model, spec, supported);
        List<CpuidEntry> out = new ArrayList<>();
        int[] vendor = vendor(model.vendor());
        out.add(new CpuidEntry(0, 0, false, model.level(), vendor[0], vendor[2], vendor[1]));
        out.add(new CpuidEntry(1, 0, false, model.signature(), LEAF1_EBX, get(bits, 1, 2), get(bits, 1, 3)));
        for (int leaf = 2; leaf <= model.level(); leaf++) {
            if (leaf == 7) {
                out.add(new CpuidEntry(7, 0, true, 0, get(bits, 7, 1), get(bits, 7, 2), get(bits, 7, 3)));
            } else if (leaf == 0xd) {
                out.addAll(xsave(get(bits, 1, 2), supported));
            } else {
                boolean indexed = leaf == 4 || leaf == 0xb;
                out.add(new CpuidEntry(leaf, 0, indexed, 0, 0, 0, 0));
            }
        }
        out.add(new CpuidEntry(0x80000000, 0, false, model.xlevel(), vendor[0], vendor[2], vendor[1]));
        out.add(new CpuidEntry(0x80000001, 0, false, model.signature(), 0, get(bits, 0x80000001, 2),
                get(bits, 0x80000001, 3)));
        int[] brand = brand(model.brand());
        for (int i = 0; i < 3; i++) {
            out.add(new CpuidEntry(0x80000002 + i, 0, false, brand[4 * i], brand[4 * i + 1], brand[4 * i + 2],
                    brand[4 * i + 3]));
        }
        for (int leaf = 0x80000005; Integer.compareUnsigned(leaf, model.xlevel()) <= 0; leaf++) {
            if (leaf == 0x80000007) {
                out.add(new CpuidEntry(leaf, 0, false, 0, 0, 0, get(bits, leaf, 3)));
            } else if (leaf == 0x80000008) {
                out.add(new CpuidEntry(leaf, 0, false, ADDRESS_SIZES, get(bits, leaf, 1), 0, 0));
            } else if (leaf == 0x8000000a && (get(bits, 0x80000001, 2) & 1 << 2) != 0) {
                out.add(copy(supported, leaf, 0)); // SVM's own leaf: revision and features are the backend's
            } else {
                out.add(new CpuidEntry(leaf, 0, false, 0, 0, 0, 0));
            }
        }
        out.add(new CpuidEntry(KVM_FEATURES, 0, false, get(bits, KVM_FEATURES, 0), 0, 0, 0));
        return out;
    }

    /** The model's features plus {@code +feat}, minus {@code -feat}, each bit kept only where supported. */
    private static Map<Reg, Integer> features(CpuModel model, CpuSpec spec, List<CpuidEntry> supported) {
        Map<Reg, Integer> want = new HashMap<>();
        for (String name : model.features()) {
            set(want, CpuFeature.byName(name), true);
        }
        for (String name : spec.add()) {
            set(want, CpuFeature.byName(name), true);
        }
        for (String name : spec.remove()) {
            set(want, CpuFeature.byName(name), false);
        }
        Map<Reg, Integer> out = new HashMap<>();
        for (Map.Entry<Reg, Integer> e : want.entrySet()) {
            Reg r = e.getKey();
            int have = supportedRegister(supported, r);
            if (r.leaf() == 1 && r.register() == 2) {
                have |= HYPERVISOR_BIT;
            }
            out.put(r, e.getValue() & have);
        }
        return out;
    }

    private static void set(Map<Reg, Integer> want, CpuFeature f, boolean on) {
        Reg r = new Reg(f.leaf(), f.subleaf(), f.register());
        int v = want.getOrDefault(r, 0);
        want.put(r, on ? v | f.mask() : v & ~f.mask());
    }

    private static int get(Map<Reg, Integer> bits, int leaf, int register) {
        return bits.getOrDefault(new Reg(leaf, 0, register), 0);
    }

    /** A register of the backend's supported table, 0 when the leaf is not there. */
    static int supportedRegister(List<CpuidEntry> supported, Reg r) {
        for (CpuidEntry e : supported) {
            if (e.matches(r.leaf(), r.subleaf())) {
                return switch (r.register()) {
                    case 0 -> e.eax();
                    case 1 -> e.ebx();
                    case 2 -> e.ecx();
                    default -> e.edx();
                };
            }
        }
        return 0;
    }

    private static CpuidEntry copy(List<CpuidEntry> supported, int leaf, int subleaf) {
        for (CpuidEntry e : supported) {
            if (e.matches(leaf, subleaf)) {
                return new CpuidEntry(leaf, subleaf, e.indexed(), e.eax(), e.ebx(), e.ecx(), e.edx());
            }
        }
        return new CpuidEntry(leaf, subleaf, false, 0, 0, 0, 0);
    }

    /**
     * Leaf 0xD. Without XSAVE it is zero. With it: sub-leaf 0 lists x87, SSE and (with AVX) AVX as the XCR0 bits
     * the guest may set, with the area size they need; sub-leaf 1 (XSAVEOPT and the like) is zero; sub-leaf 2,
     * AVX's offset and size, is the backend's.
     */
    private static List<CpuidEntry> xsave(int leaf1Ecx, List<CpuidEntry> supported) {
        boolean xsave = (leaf1Ecx & CpuFeature.byName("xsave").mask()) != 0;
        if (!xsave) {
            return List.of(new CpuidEntry(0xd, 0, true, 0, 0, 0, 0));
        }
        boolean avx = (leaf1Ecx & CpuFeature.byName("avx").mask()) != 0;
        int xcr0 = (XCR0_X87_SSE | (avx ? XCR0_AVX : 0)) & supportedRegister(supported, new Reg(0xd, 0, 0));
        CpuidEntry avxLeaf = copy(supported, 0xd, 2);
        int size = (xcr0 & XCR0_AVX) != 0 ? Math.max(XSAVE_LEGACY_BYTES, avxLeaf.ebx() + avxLeaf.eax())
                : XSAVE_LEGACY_BYTES;
        List<CpuidEntry> out = new ArrayList<>(List.of(new CpuidEntry(0xd, 0, true, xcr0, size, size, 0),
                new CpuidEntry(0xd, 1, true, 0, 0, 0, 0)));
        if ((xcr0 & XCR0_AVX) != 0) {
            out.add(new CpuidEntry(0xd, 2, true, avxLeaf.eax(), avxLeaf.ebx(), 0, 0));
        }
        return out;
    }

    /** The vendor string as the three registers EBX, EDX, ECX hold it (in that order), little-endian. */
    static int[] vendor(String vendor) {
        int[] w = words(vendor, 12);
        return new int[] {w[0], w[1], w[2]};
    }

    /** The brand string as 12 little-endian words, NUL-padded to 48 bytes. */
    static int[] brand(String brand) {
        return words(brand, 48);
    }

    private static int[] words(String s, int bytes) {
        byte[] b = Arrays.copyOf(s.getBytes(StandardCharsets.US_ASCII), bytes);
        int[] w = new int[bytes / 4];
        for (int i = 0; i < w.length; i++) {
            w[i] = (b[4 * i] & 0xff) | (b[4 * i + 1] & 0xff) << 8 | (b[4 * i + 2] & 0xff) << 16
                    | (b[4 * i + 3] & 0xff) << 24;
        }
        return w;
    }
}
