package org.jkvm.domainxml;

import java.util.List;
import java.util.Locale;

import org.jkvm.domainxml.model.Cpu;
import org.jkvm.domainxml.model.CpuFeature;

/**
 * Maps {@code <cpu>} to the engine's {@code -cpu MODEL[,+feat][,-feat]}: modes host-passthrough and host-model
 * become {@code host}, maximum becomes {@code max}; custom takes the model ({@code qemu64}, {@code kvm64}, {@code
 * host}; no {@code <cpu>} or no model means {@code qemu64}); features with policy force or require become {@code
 * +name}, disable or forbid {@code -name}, optional ones are left to the model. libvirt's underscores in feature names
 * become the engine's hyphens ({@code lahf_lm} is {@code lahf-lm}).
 *
 * <p>A {@code type='qemu'} domain runs on the software CPU, which has no host CPU to pass through: as libvirt with
 * QEMU's TCG, host-passthrough (and the engine model {@code host}) cannot start there, and host-model becomes
 * {@code max}, everything the software CPU implements (libvirt derives TCG's host model from QEMU's {@code max}).
 */
final class CpuMapping {
    /** The CPU models the engine offers. */
    static final List<String> MODELS = List.of("qemu64", "kvm64", "host");

    private CpuMapping() {
    }

    static void check(Cpu cpu, String domainType, List<Problem> errors, List<Problem> warnings) {
        if (cpu == null) {
            return;
        }
        String mode = cpu.mode == null ? "custom" : cpu.mode;
        if ("host-model".equals(mode)) {
            warnings.add(new Problem("cpu/@mode", "qemu".equals(domainType)
                    ? "host-model runs as the engine's 'max' model (everything the software CPU implements)"
                    : "host-model runs as the engine's 'host' model"));
        }
        if ("custom".equals(mode) && cpu.model != null && cpu.model.value != null
                && !MODELS.contains(cpu.model.value.strip())) {
            errors.add(new Problem("cpu/model", "CPU model '" + cpu.model.value.strip() + "' is not offered by jkvm;"
                    + " use qemu64, kvm64 or <cpu mode='host-passthrough'/>"));
        }
        if (cpu.topology != null && product(cpu) > 1) {
            errors.add(new Problem("cpu/topology", "the topology describes " + product(cpu) + " vCPUs; the jkvm"
                    + " engine runs one vCPU for now, so use sockets, cores and threads of 1"));
        }
        if (cpu.vendor != null) {
            warnings.add(new Problem("cpu/vendor", "the vendor is not applied; the guest sees the host's vendor"));
        }
        for (int i = 0; i < cpu.features.size(); i++) {
            CpuFeature f = cpu.features.get(i);
            if ("optional".equals(f.policy)) {
                warnings.add(new Problem("cpu/feature[" + (i + 1) + "]", "optional feature '" + f.name
                        + "' is left as the model has it"));
            }
        }
    }

    private static long product(Cpu cpu) {
        long p = 1;
        for (String s : new String[] {cpu.topology.sockets, cpu.topology.dies, cpu.topology.clusters,
            cpu.topology.cores, cpu.topology.threads}) {
            if (s != null && s.strip().matches("[0-9]{1,6}")) {
                p *= Long.parseLong(s.strip());
            }
        }
        return p;
    }

    /**
     * The {@code -cpu} value for a domain of type {@code domainType}.
     *
     * @throws DomainXmlException with libvirt's sentence when a {@code qemu} domain asks for the host CPU
     */
    static String engineValue(Cpu cpu, String domainType) {
        if (cpu == null) {
            return "qemu64";
        }
        String mode = cpu.mode == null ? "custom" : cpu.mode;
        boolean soft = "qemu".equals(domainType);
        StringBuilder sb = new StringBuilder();
        if ("custom".equals(mode)) {
            String model = cpu.model == null || cpu.model.value == null || cpu.model.value.isBlank()
                    ? "qemu64" : cpu.model.value.strip();
            if (soft && model.equals("host")) {
                throw new DomainXmlException("CPU model 'host' needs KVM; a type='qemu' domain runs on jkvm's"
                        + " software CPU, so use qemu64, kvm64 or <cpu mode='maximum'/>");
            }
            sb.append(model);
        } else if (soft && "host-passthrough".equals(mode)) {
            // libvirt's refusal when starting such a domain on QEMU's TCG (VIR_ERR_CONFIG_UNSUPPORTED).
            throw new DomainXmlException("CPU mode 'host-passthrough' for x86_64 qemu domain on x86_64 host is not"
                    + " supported by hypervisor");
        } else {
            sb.append("maximum".equals(mode) || soft ? "max" : "host");
        }
        for (CpuFeature f : cpu.features) {
            String policy = f.policy == null ? "require" : f.policy;
            String name = f.name.strip().toLowerCase(Locale.ROOT).replace('_', '-');
            switch (policy) {
                case "force", "require" -> sb.append(",+").append(name);
                case "disable", "forbid" -> sb.append(",-").append(name);
                default -> {
                    // optional: the model decides.
                }
            }
        }
        return sb.toString();
    }
}
