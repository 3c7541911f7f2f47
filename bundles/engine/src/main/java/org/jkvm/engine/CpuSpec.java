package org.jkvm.engine;

import java.util.ArrayList;
import java.util.List;

import org.jkvm.engine.cpu.CpuFeature;
import org.jkvm.engine.cpu.CpuModel;

/**
 * The {@code -cpu MODEL[,+feat][,-feat][,feat=on|off][,tsc-frequency=HZ]} option, validated: the model and every
 * feature name are known, the TSC frequency is in range. The CPUID table is resolved from this and the backend's
 * supported CPUID when the VM is built ({@link org.jkvm.engine.cpu.CpuidResolver}).
 *
 * @param model  the model name ({@link CpuModel#NAMES})
 * @param add    features to add, in command-line order
 * @param remove features to remove, in command-line order
 * @param tscHz  the guest TSC frequency in Hz (QEMU's {@code tsc-frequency}), a multiple of 1000; 0 for the
 *               backend's default
 */
public record CpuSpec(String model, List<String> add, List<String> remove, long tscHz) {
    /** The default model, as QEMU's. */
    public static final CpuSpec DEFAULT = new CpuSpec("qemu64", List.of(), List.of(), 0);
    /** The lowest {@code tsc-frequency}: 1 MHz. */
    public static final long MIN_TSC_HZ = 1_000_000L;
    /** The highest {@code tsc-frequency}: 100 GHz. */
    public static final long MAX_TSC_HZ = 100_000_000_000L;

    /** Copies the lists. */
    public CpuSpec {
        add = List.copyOf(add);
        remove = List.copyOf(remove);
    }

    /** The same without a TSC frequency (the form before {@code tsc-frequency} existed). */
    public CpuSpec(String model, List<String> add, List<String> remove) {
        this(model, add, remove, 0);
    }

    /**
     * Parses the option value.
     *
     * @throws EngineException naming the unknown model, feature or bad frequency and saying what is accepted
     */
    public static CpuSpec parse(String value) {
        String[] parts = value.split(",");
        String model = parts[0];
        if (CpuModel.byName(model) == null) {
            throw new EngineException("unknown -cpu model '" + model + "'; use one of " + CpuModel.NAMES);
        }
        List<String> add = new ArrayList<>();
        List<String> remove = new ArrayList<>();
        long tscHz = 0;
        for (int i = 1; i < parts.length; i++) {
            String p = parts[i];
            if (p.startsWith("tsc-frequency=") || p.startsWith("tsc_frequency=")) {
                tscHz = tscHz(value, p.substring(p.indexOf('=') + 1));
                continue;
            }
            String name;
            boolean on;
            if (p.startsWith("+") || p.startsWith("-")) {
                name = p.substring(1);
                on = p.charAt(0) == '+';
            } else if (p.endsWith("=on") || p.endsWith("=off")) {
                name = p.substring(0, p.lastIndexOf('='));
                on = p.endsWith("=on");
            } else {
                throw new EngineException("malformed -cpu feature '" + p + "' in '" + value
                        + "'; write +feature, -feature or feature=on|off");
            }
            CpuFeature f = CpuFeature.byName(name);
            if (f == null) {
                throw new EngineException("unknown -cpu feature '" + name + "' in '" + value
                        + "'; use CPUID names such as nx, pdpe1gb, svm, vmx, avx2, sse4.2");
            }
            (on ? add : remove).add(f.name());
            (on ? remove : add).remove(f.name());
        }
        return new CpuSpec(model, add, remove, tscHz);
    }

    private static long tscHz(String value, String hz) {
        long n = -1;
        if (hz.matches("[0-9]{1,12}")) {
            n = Long.parseLong(hz);
        }
        if (n < MIN_TSC_HZ || n > MAX_TSC_HZ || n % 1000 != 0) {
            throw new EngineException("invalid tsc-frequency '" + hz + "' in -cpu " + value + "; give the guest TSC "
                    + "rate in Hz, a multiple of 1000 from " + MIN_TSC_HZ + " to " + MAX_TSC_HZ
                    + ", e.g. tsc-frequency=2500000000");
        }
        return n;
    }

    /** The guest TSC frequency in kHz, or 0 for the backend's default. */
    public int tscKhz() {
        return (int) (tscHz / 1000);
    }

    /** The model and the feature changes, without the TSC frequency: what the migration fingerprint compares. */
    public String modelAndFeatures() {
        StringBuilder s = new StringBuilder(model);
        add.forEach(f -> s.append(",+").append(f));
        remove.forEach(f -> s.append(",-").append(f));
        return s.toString();
    }

    @Override
    public String toString() {
        return tscHz == 0 ? modelAndFeatures() : modelAndFeatures() + ",tsc-frequency=" + tscHz;
    }
}
