package org.jkvm.softcpu.oracle;

import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

import org.jkvm.hypervisor.x86.CpuidEntry;

/**
 * The optional general-purpose instruction groups the generator covers only where a CPU has them. The oracle tests
 * a group when both the host (CPUID, read by the harness) and the software CPU ({@code supportedCpuid()}) report it.
 *
 * @param present the groups the CPU reports
 */
public record CpuFeatures(Set<Feature> present) {
    /** The CPUID bit of each group (Intel SDM vol. 2, CPUID; AMD APM vol. 3, appendix E). */
    public enum Feature {
        /** POPCNT: leaf 1 ECX bit 23. */
        POPCNT(1, 'c', 23),
        /** MOVBE: leaf 1 ECX bit 22. */
        MOVBE(1, 'c', 22),
        /** CMPXCHG16B: leaf 1 ECX bit 13. */
        CX16(1, 'c', 13),
        /** BMI1 (ANDN BEXTR BLSI BLSMSK BLSR TZCNT): leaf 7 EBX bit 3. */
        BMI1(7, 'b', 3),
        /** BMI2 (BZHI PDEP PEXT RORX SARX SHLX SHRX MULX): leaf 7 EBX bit 8. */
        BMI2(7, 'b', 8),
        /** ADCX/ADOX: leaf 7 EBX bit 19. */
        ADX(7, 'b', 19),
        /** LZCNT (AMD's ABM): leaf 0x80000001 ECX bit 5. */
        LZCNT(0x80000001, 'c', 5),
        /** LAHF/SAHF in 64-bit mode: leaf 0x80000001 ECX bit 0. */
        LAHF64(0x80000001, 'c', 0),
        /** The x87 FPU: leaf 1 EDX bit 0. */
        FPU(1, 'd', 0),
        /** SSE2 (with SSE and MMX before it): leaf 1 EDX bit 26. */
        SSE2(1, 'd', 26),
        /** SSE3: leaf 1 ECX bit 0. */
        SSE3(1, 'c', 0);

        private final int leaf;
        private final char register;
        private final int bit;

        Feature(int leaf, char register, int bit) {
            this.leaf = leaf;
            this.register = register;
            this.bit = bit;
        }
    }

    /** Copies the set. */
    public CpuFeatures {
        present = present.isEmpty() ? EnumSet.noneOf(Feature.class) : EnumSet.copyOf(present);
    }

    /** Whether the group is there. */
    public boolean has(Feature f) {
        return present.contains(f);
    }

    /** The groups both have. */
    public CpuFeatures and(CpuFeatures other) {
        EnumSet<Feature> both = EnumSet.noneOf(Feature.class);
        both.addAll(present);
        both.retainAll(other.present);
        return new CpuFeatures(both);
    }

    /** Every group (for tests of the generator itself). */
    public static CpuFeatures all() {
        return new CpuFeatures(EnumSet.allOf(Feature.class));
    }

    /**
     * Parses the harness's {@code features} line: {@code 1.ecx=HEX 1.edx=HEX 7.ebx=HEX 7.ecx=HEX
     * 80000001.ecx=HEX 80000001.edx=HEX}.
     */
    public static CpuFeatures fromHarnessLine(String line) {
        EnumSet<Feature> set = EnumSet.noneOf(Feature.class);
        for (String pair : line.trim().split("\\s+")) {
            String[] kv = pair.split("=");
            String[] key = kv[0].split("\\.");
            int leaf = Integer.parseUnsignedInt(key[0], key[0].length() > 2 ? 16 : 10);
            long value = Long.parseLong(kv[1], 16);
            for (Feature f : Feature.values()) {
                if (f.leaf == leaf && key[1].toLowerCase(Locale.ROOT).charAt(1) == f.register
                        && (value >>> f.bit & 1) != 0) {
                    set.add(f);
                }
            }
        }
        return new CpuFeatures(set);
    }

    /** The groups a CPUID table (a backend's {@code supportedCpuid()}) reports. */
    public static CpuFeatures fromCpuid(List<CpuidEntry> entries) {
        EnumSet<Feature> set = EnumSet.noneOf(Feature.class);
        for (Feature f : Feature.values()) {
            for (CpuidEntry e : entries) {
                if (e.matches(f.leaf, 0)) {
                    int word = switch (f.register) {
                        case 'b' -> e.ebx();
                        case 'c' -> e.ecx();
                        default -> e.edx();
                    };
                    if ((word >>> f.bit & 1) != 0) {
                        set.add(f);
                    }
                }
            }
        }
        return new CpuFeatures(set);
    }
}
