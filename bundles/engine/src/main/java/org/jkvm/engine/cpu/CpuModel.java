package org.jkvm.engine.cpu;

import java.util.List;
import java.util.Locale;

/**
 * A named CPU model for {@code -cpu}: the CPUID feature bits it exposes (before {@code +feat}/{@code -feat}).
 * {@code host} (and its alias {@code max}) passes through everything KVM supports; the others expose a fixed
 * baseline, intersected with what KVM supports, so a VM can move between hosts of different generations.
 *
 * @param name     the model name as given on the command line
 * @param features the features of the baseline, or null for pass-through
 */
public record CpuModel(String name, List<String> features) {
    private static final List<String> BASE_EDX = List.of("fpu", "de", "pse", "tsc", "msr", "pae", "mce", "cx8",
            "apic", "sep", "mtrr", "pge", "mca", "cmov", "pat", "pse36", "clflush", "mmx", "fxsr", "sse", "sse2");

    /** Every model name {@link #byName} accepts. */
    public static final List<String> NAMES = List.of("host", "max", "qemu64", "kvm64");

    /** Whether this model passes KVM's supported CPUID through unmasked. */
    public boolean passthrough() {
        return features == null;
    }

    /**
     * The model called {@code name}, or null when unknown.
     *
     * <p>qemu64: the SSE2-era baseline plus SSE3, CX16, SYSCALL, NX, LM, LAHF_LM, SVM (as QEMU's qemu64).
     * kvm64: the same without LAHF_LM and SVM.
     */
    public static CpuModel byName(String name) {
        switch (name.toLowerCase(Locale.ROOT)) {
            case "host":
            case "max":
                return new CpuModel(name, null);
            case "qemu64":
                return new CpuModel(name, concat(BASE_EDX, List.of("pni", "cx16", "syscall", "nx", "lm", "lahf-lm",
                        "svm", "hypervisor")));
            case "kvm64":
                return new CpuModel(name, concat(BASE_EDX, List.of("pni", "cx16", "syscall", "nx", "lm",
                        "hypervisor")));
            default:
                return null;
        }
    }

    private static List<String> concat(List<String> a, List<String> b) {
        List<String> all = new java.util.ArrayList<>(a);
        all.addAll(b);
        return List.copyOf(all);
    }
}
