package org.jkvm.engine;

import java.util.ArrayList;
import java.util.List;

import org.jkvm.engine.cpu.CpuFeature;
import org.jkvm.engine.cpu.CpuModel;

/**
 * The {@code -cpu MODEL[,+feat][,-feat][,feat=on|off]} option, validated: the model and every feature name are
 * known. The CPUID table is resolved from this and KVM's supported CPUID when the VM is built
 * ({@link org.jkvm.engine.cpu.CpuidResolver}).
 *
 * @param model  the model name ({@link CpuModel#NAMES})
 * @param add    features to add, in command-line order
 * @param remove features to remove, in command-line order
 */
public record CpuSpec(String model, List<String> add, List<String> remove) {
    /** The default model, as QEMU's. */
    public static final CpuSpec DEFAULT = new CpuSpec("qemu64", List.of(), List.of());

    /** Copies the lists. */
    public CpuSpec {
        add = List.copyOf(add);
        remove = List.copyOf(remove);
    }

    /**
     * Parses the option value.
     *
     * @throws EngineException naming the unknown model or feature and listing what is accepted
     */
    public static CpuSpec parse(String value) {
        String[] parts = value.split(",");
        String model = parts[0];
        if (CpuModel.byName(model) == null) {
            throw new EngineException("unknown -cpu model '" + model + "'; use one of " + CpuModel.NAMES);
        }
        List<String> add = new ArrayList<>();
        List<String> remove = new ArrayList<>();
        for (int i = 1; i < parts.length; i++) {
            String p = parts[i];
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
        return new CpuSpec(model, add, remove);
    }

    @Override
    public String toString() {
        StringBuilder s = new StringBuilder(model);
        add.forEach(f -> s.append(",+").append(f));
        remove.forEach(f -> s.append(",-").append(f));
        return s.toString();
    }
}
