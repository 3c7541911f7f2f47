package org.jkvm.engine.cpu;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A CPUID feature bit, named as QEMU's {@code -cpu} option names it (Intel SDM vol. 2A "CPUID", AMD APM vol. 3
 * appendix E).
 *
 * @param name     the name used on the command line, e.g. {@code nx}
 * @param leaf     the CPUID leaf (EAX input)
 * @param subleaf  the sub-leaf (ECX input), 0 when not indexed
 * @param register the output register: 0 = EAX, 1 = EBX, 2 = ECX, 3 = EDX
 * @param bit      the bit number, 0-31
 */
public record CpuFeature(String name, int leaf, int subleaf, int register, int bit) {
    /** Register index of EAX. */
    public static final int EAX = 0;
    /** Register index of EBX. */
    public static final int EBX = 1;
    /** Register index of ECX. */
    public static final int ECX = 2;
    /** Register index of EDX. */
    public static final int EDX = 3;

    private static final Map<String, CpuFeature> BY_NAME = build();

    /** The feature called {@code name} (aliases such as {@code sse3}/{@code pni} included), or null. */
    public static CpuFeature byName(String name) {
        return BY_NAME.get(name.toLowerCase(java.util.Locale.ROOT).replace('_', '-'));
    }

    /** Every known feature name (aliases included), in table order. */
    public static Map<String, CpuFeature> all() {
        return Collections.unmodifiableMap(BY_NAME);
    }

    /** The bit mask within its register. */
    public int mask() {
        return 1 << bit;
    }

    private static Map<String, CpuFeature> build() {
        Map<String, CpuFeature> m = new LinkedHashMap<>();
        String[] edx1 = {"fpu", "vme", "de", "pse", "tsc", "msr", "pae", "mce", "cx8", "apic", null, "sep", "mtrr",
            "pge", "mca", "cmov", "pat", "pse36", "pn", "clflush", null, "ds", "acpi", "mmx", "fxsr", "sse",
            "sse2", "ss", "ht", "tm", "ia64", "pbe"};
        String[] ecx1 = {"pni", "pclmulqdq", "dtes64", "monitor", "ds-cpl", "vmx", "smx", "est", "tm2", "ssse3",
            "cid", null, "fma", "cx16", "xtpr", "pdcm", null, "pcid", "dca", "sse4.1", "sse4.2", "x2apic", "movbe",
            "popcnt", "tsc-deadline", "aes", "xsave", "osxsave", "avx", "f16c", "rdrand", "hypervisor"};
        String[] ebx7 = {"fsgsbase", "tsc-adjust", "sgx", "bmi1", "hle", "avx2", null, "smep", "bmi2", "erms",
            "invpcid", "rtm", null, null, "mpx", null, "avx512f", "avx512dq", "rdseed", "adx", "smap",
            "avx512ifma", "pcommit", "clflushopt", "clwb", "intel-pt", "avx512pf", "avx512er", "avx512cd", "sha-ni",
            "avx512bw", "avx512vl"};
        String[] ecx7 = {null, "avx512vbmi", "umip", "pku", null, "waitpkg", "avx512vbmi2", null, "gfni", "vaes",
            "vpclmulqdq", "avx512vnni", "avx512bitalg", null, "avx512-vpopcntdq", null, "la57", null, null, null,
            null, null, "rdpid", null, null, "cldemote", null, "movdiri", "movdir64b", null, null, null};
        String[] edx81 = {null, null, null, null, null, null, null, null, null, null, null, "syscall", null, null,
            null, null, null, null, null, null, "nx", null, "mmxext", null, null, "fxsr-opt", "pdpe1gb", "rdtscp",
            null, "lm", "3dnowext", "3dnow"};
        String[] ecx81 = {"lahf-lm", "cmp-legacy", "svm", "extapic", "cr8legacy", "abm", "sse4a", "misalignsse",
            "3dnowprefetch", "osvw", "ibs", "xop", "skinit", "wdt", null, "lwp", "fma4", "tce", null, "nodeid-msr",
            null, "tbm", "topoext", "perfctr-core", "perfctr-nb", null, null, null, null, null, null, null};
        add(m, edx1, 1, EDX);
        add(m, ecx1, 1, ECX);
        add(m, ebx7, 7, EBX);
        add(m, ecx7, 7, ECX);
        String[] edx7 = new String[32];
        String[][] edx7Names = {{"2", "avx512-4vnniw"}, {"3", "avx512-4fmaps"}, {"4", "fsrm"}, {"10", "md-clear"},
            {"14", "serialize"}, {"16", "tsx-ldtrk"}, {"18", "pconfig"}, {"19", "arch-lbr"}, {"22", "amx-bf16"},
            {"23", "avx512-fp16"}, {"24", "amx-tile"}, {"25", "amx-int8"}, {"26", "spec-ctrl"}, {"27", "stibp"},
            {"28", "flush-l1d"}, {"29", "arch-capabilities"}, {"30", "core-capability"}, {"31", "ssbd"}};
        for (String[] e : edx7Names) {
            edx7[Integer.parseInt(e[0])] = e[1];
        }
        add(m, edx7, 7, EDX);
        add(m, edx81, 0x80000001, EDX);
        add(m, ecx81, 0x80000001, ECX);
        m.put("invtsc", new CpuFeature("invtsc", 0x80000007, 0, EDX, 8));
        m.put("ibpb", new CpuFeature("ibpb", 0x80000008, 0, EBX, 12));
        m.put("amd-stibp", new CpuFeature("amd-stibp", 0x80000008, 0, EBX, 15));
        m.put("amd-ssbd", new CpuFeature("amd-ssbd", 0x80000008, 0, EBX, 24));
        m.put("virt-ssbd", new CpuFeature("virt-ssbd", 0x80000008, 0, EBX, 25));
        m.put("amd-no-ssb", new CpuFeature("amd-no-ssb", 0x80000008, 0, EBX, 26));
        // KVM's paravirtual leaf (EAX): QEMU's names. "kvmclock" is also bit 0 (the old MSR pair), which the
        // resolver clears with it; jkvm's models offer only the new pair.
        m.put("kvmclock", new CpuFeature("kvmclock", 0x40000001, 0, EAX, 3));
        m.put("kvmclock-stable-bit", new CpuFeature("kvmclock-stable-bit", 0x40000001, 0, EAX, 24));
        alias(m, "sse3", "pni");
        alias(m, "pclmuldq", "pclmulqdq");
        alias(m, "sse4-1", "sse4.1");
        alias(m, "sse4-2", "sse4.2");
        alias(m, "xd", "nx");
        alias(m, "sha", "sha-ni");
        alias(m, "lahf", "lahf-lm");
        return m;
    }

    private static void add(Map<String, CpuFeature> m, String[] names, int leaf, int register) {
        for (int bit = 0; bit < 32; bit++) {
            if (names[bit] != null) {
                m.put(names[bit], new CpuFeature(names[bit], leaf, 0, register, bit));
            }
        }
    }

    private static void alias(Map<String, CpuFeature> m, String alias, String name) {
        m.put(alias, m.get(name));
    }
}
