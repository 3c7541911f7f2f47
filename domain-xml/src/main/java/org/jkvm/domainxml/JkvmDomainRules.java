package org.jkvm.domainxml;

import java.nio.charset.StandardCharsets;
import java.util.List;

import org.jkvm.domainxml.model.Domain;
import org.jkvm.domainxml.model.Os;
import org.jkvm.domainxml.model.Timer;
import org.w3c.dom.Element;

/** The domain-level half of {@link JkvmSupport}: type, OS and boot, memory, vCPUs, CPU, clock, extensions. */
final class JkvmDomainRules {
    /** The smallest guest the engine runs. */
    static final long MIN_MEMORY = 16L << 20;
    /** The firmware command line limit (docs/contracts.md: at most 2047 bytes). */
    static final int MAX_CMDLINE = 2047;

    private JkvmDomainRules() {
    }

    static void check(DomainDefinition def, List<Problem> errors, List<Problem> warnings) {
        Domain d = def.model();
        if (!JkvmSupport.DOMAIN_TYPES.contains(d.type)) {
            errors.add(new Problem("domain", "domain type '" + d.type + "' is not supported by jkvm; use"
                    + " <domain type='kvm'> (KVM) or <domain type='qemu'> (jkvm's software CPU)"));
        }
        checkOs(d.os, errors, warnings);
        long mem = def.memoryBytes();
        if (mem < MIN_MEMORY || mem % 1024 != 0) {
            errors.add(new Problem("memory", Units.human(mem) + " cannot be given to the engine; use a whole number"
                    + " of KiB of at least 16 MiB"));
        }
        if (d.maxMemory != null) {
            warnings.add(new Problem("maxMemory", "memory hot plug is not supported; the guest has <memory> only"));
        }
        if (def.vcpus() > 1) {
            errors.add(new Problem("vcpu", def.vcpus() + " vCPUs requested; the jkvm engine runs one vCPU for now,"
                    + " so use <vcpu>1</vcpu>"));
        }
        CpuMapping.check(d.cpu, d.type, errors, warnings);
        if (d.clock != null) {
            for (Timer t : d.clock.timers) {
                if ("tsc".equals(t.name) && (t.frequency != null || t.mode != null)) {
                    warnings.add(new Problem("clock/timer[@name='tsc']", "the TSC frequency and mode are the"
                            + " host's; the guest reads the frequency from CPUID leaf 0x40000010"));
                }
            }
        }
        for (Element e : d.otherElements) {
            if (QemuCommandline.NS.equals(e.getNamespaceURI())) {
                QemuCommandline.check(e, errors);
            } else {
                warnings.add(new Problem(e.getLocalName(), "<" + e.getLocalName() + "> is kept but not applied"
                        + " by jkvm"));
            }
        }
    }

    private static void checkOs(Os os, List<Problem> errors, List<Problem> warnings) {
        String type = os.type.value.strip();
        if (!"hvm".equals(type)) {
            errors.add(new Problem("os/type", "OS type '" + type + "' is not supported; jkvm runs full"
                    + " virtualisation, <type>hvm</type>"));
        }
        String arch = os.type.arch;
        if (arch != null && !"x86_64".equals(arch)) {
            errors.add(new Problem("os/type/@arch", "architecture '" + arch + "' is not supported; jkvm runs"
                    + " x86_64 guests"));
        }
        String machine = os.type.machine;
        if (machine != null && !(machine.equals("pc") || machine.equals("q35") || machine.startsWith("pc-"))) {
            errors.add(new Problem("os/type/@machine", "machine '" + machine + "' is not an x86 PC; use 'pc' or"
                    + " leave machine out"));
        }
        if (os.firmware != null) {
            errors.add(new Problem("os/@firmware", "firmware '" + os.firmware + "' cannot be selected; jkvm boots"
                    + " its bundled firmware when <os> names no kernel, so remove the attribute"));
        }
        if (os.loader != null) {
            errors.add(new Problem("os/loader", "BIOS and UEFI images are not supported; remove <loader> to boot"
                    + " jkvm's bundled firmware"));
        }
        if (os.nvram != null) {
            errors.add(new Problem("os/nvram", "UEFI variable stores are not supported; remove <nvram>"));
        }
        if (os.initrd != null && (os.kernel == null || os.kernel.isBlank())) {
            errors.add(new Problem("os/initrd", "an initrd needs a kernel, and the bundled firmware takes none; add"
                    + " <kernel> or remove <initrd>"));
        }
        if (os.initrd != null && os.initrd.isBlank()) {
            errors.add(new Problem("os/initrd", "<initrd> is empty; name the initrd file or remove the element"));
        }
        if (os.cmdline != null && os.cmdline.getBytes(StandardCharsets.UTF_8).length > MAX_CMDLINE) {
            errors.add(new Problem("os/cmdline", "the command line is longer than " + MAX_CMDLINE
                    + " bytes; shorten it"));
        }
        for (Element e : os.otherElements) {
            warnings.add(new Problem("os/" + e.getLocalName(), "<" + e.getLocalName() + "> is not applied by jkvm"));
        }
    }
}
