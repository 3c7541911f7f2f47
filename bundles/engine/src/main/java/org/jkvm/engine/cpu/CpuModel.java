package org.jkvm.engine.cpu;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A named CPU model for {@code -cpu}: {@code host} (and its alias {@code max}) passes through what the backend
 * supports; the named models are defined here, independently of the host and the backend, so that the same
 * {@code -cpu} gives the same CPUID table on KVM and on the software CPU (a migration between them compares it):
 * vendor, family/model/stepping, the highest basic and extended leaves, the brand string and the feature bits,
 * as QEMU defines these models. The backend then keeps only the feature bits it implements.
 *
 * @param name     the model name as given on the command line
 * @param vendor   the vendor string of CPUID leaf 0 (12 ASCII characters), or null for pass-through
 * @param family   the display family (15 for both models here)
 * @param model    the display model
 * @param stepping the stepping
 * @param level    the highest basic leaf (CPUID 0 EAX)
 * @param xlevel   the highest extended leaf (CPUID 0x80000000 EAX)
 * @param brand    the brand string (CPUID 0x80000002-4), at most 47 characters
 * @param features the feature names of {@link CpuFeature}, or null for pass-through
 */
public record CpuModel(String name, String vendor, int family, int model, int stepping, int level, int xlevel,
                       String brand, List<String> features) {
    /** "AuthenticAMD". */
    public static final String AMD = "AuthenticAMD";
    /** "GenuineIntel". */
    public static final String INTEL = "GenuineIntel";
    /** Every model name {@link #byName} accepts. */
    public static final List<String> NAMES = List.of("host", "max", "qemu64", "kvm64");

    /** The P6-era features both models have (QEMU's PPRO_FEATURES with MTRR, CLFLUSH, MCA and PSE36). */
    private static final List<String> BASE_EDX = List.of("fpu", "de", "pse", "tsc", "msr", "pae", "mce", "cx8",
            "apic", "sep", "mtrr", "pge", "mca", "cmov", "pat", "pse36", "clflush", "mmx", "fxsr", "sse", "sse2");

    /** Whether this model passes the backend's supported CPUID through (host, max). */
    public boolean passthrough() {
        return features == null;
    }

    /**
     * The model called {@code name}, or null when unknown.
     *
     * <p>qemu64: AuthenticAMD, family 15 model 107 stepping 1, leaves to 0xd and 0x8000000a, "QEMU Virtual CPU
     * version 2.5+", the P6 baseline plus SSE3, CX16, SYSCALL, NX, LM, LAHF_LM and SVM. kvm64: GenuineIntel,
     * family 15 model 6 stepping 1, leaves to 0xd and 0x80000008, "Common KVM processor", the baseline plus VME,
     * SSE3, CX16, SYSCALL, NX and LM. Both set the hypervisor bit (CPUID 1 ECX 31), as every virtual CPU does, and
     * offer kvmclock with its stable bit (CPUID 0x40000001 EAX bits 3 and 24), as QEMU's models do under KVM.
     */
    public static CpuModel byName(String name) {
        return switch (name.toLowerCase(Locale.ROOT)) {
            case "host", "max" -> new CpuModel(name, null, 0, 0, 0, 0, 0, null, null);
            case "qemu64" -> new CpuModel(name, AMD, 15, 107, 1, 0xd, 0x8000000a, "QEMU Virtual CPU version 2.5+",
                    concat(BASE_EDX, List.of("pni", "cx16", "hypervisor", "syscall", "nx", "lm", "lahf-lm", "svm",
                            "kvmclock", "kvmclock-stable-bit")));
            case "kvm64" -> new CpuModel(name, INTEL, 15, 6, 1, 0xd, 0x80000008, "Common KVM processor",
                    concat(BASE_EDX, List.of("vme", "pni", "cx16", "hypervisor", "syscall", "nx", "lm", "kvmclock",
                            "kvmclock-stable-bit")));
            default -> null;
        };
    }

    /**
     * CPUID 1 EAX: stepping in bits 0-3, model 4-7, family 8-11, extended model 16-19, extended family 20-27
     * (Intel SDM vol. 2A, CPUID, figure 3-6: families from 15 carry the excess in the extended family, models
     * above 15 the high nibble in the extended model).
     */
    public int signature() {
        int baseFamily = Math.min(family, 15);
        int extFamily = family > 15 ? family - 15 : 0;
        return stepping & 0xf | (model & 0xf) << 4 | baseFamily << 8 | (model >> 4 & 0xf) << 16 | extFamily << 20;
    }

    private static List<String> concat(List<String> a, List<String> b) {
        List<String> all = new ArrayList<>(a);
        all.addAll(b);
        return List.copyOf(all);
    }
}
