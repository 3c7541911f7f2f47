package org.jkvm.driver;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import org.jkvm.domainxml.DomainDefinition;
import org.jkvm.domainxml.model.Domain;
import org.jkvm.driver.engine.EnginePaths;
import org.jkvm.remote.LibvirtError;

/**
 * The engine command line for a definition (the engine's qemu-style options, README "The engine"), and the check
 * that a definition names only what the engine can run. Used until domain-xml's own mapping is wired in.
 */
final class EngineCommand {
    /** Device elements the engine has no model for; a definition naming one is refused at define time. */
    private static final Set<String> UNSUPPORTED = Set.of("Disk", "Interface", "Graphics", "Video", "Hostdev",
            "Watchdog", "Rng");

    private EngineCommand() {
    }

    /** Refuses what the engine cannot run, with 67 CONFIG_UNSUPPORTED naming the element and the alternative. */
    static void validate(DomainDefinition d) {
        for (Object dev : d.devices().all) {
            String kind = dev.getClass().getSimpleName();
            if (UNSUPPORTED.contains(kind)) {
                throw LibvirtError.configUnsupported("/domain/devices/" + kind.toLowerCase()
                        + " is not supported by the jkvm engine; it runs guests with a serial console only "
                        + "(remove the <" + kind.toLowerCase() + "> element)");
            }
        }
        String type = d.type();
        if (type != null && !type.equals("kvm") && !type.equals("jkvm")) {
            throw LibvirtError.configUnsupported("domain type '" + type + "' is not supported; use <domain "
                    + "type='kvm'>");
        }
    }

    /** The engine options for a definition. */
    static List<String> args(DomainDefinition d, EnginePaths paths) {
        Domain m = d.model();
        List<String> a = new ArrayList<>();
        a.add("-name");
        a.add(d.name());
        a.add("-uuid");
        a.add(d.uuid());
        a.add("-m");
        a.add(Math.max(1, d.memoryBytes() >> 20) + "M");
        a.add("-smp");
        a.add(Integer.toString(d.vcpus()));
        if (m.cpu != null && m.cpu.model != null && m.cpu.model.value != null && !m.cpu.model.value.isBlank()) {
            a.add("-cpu");
            a.add(m.cpu.model.value.strip());
        }
        if (m.os != null && m.os.kernel != null && !m.os.kernel.isBlank()) {
            a.add("-kernel");
            a.add(m.os.kernel.strip());
        }
        if (m.os != null && m.os.cmdline != null && !m.os.cmdline.isBlank()) {
            a.add("-append");
            a.add(m.os.cmdline.strip());
        }
        return a;
    }

    /** A minimal host capabilities document. */
    static String capabilities() {
        String arch = System.getProperty("os.arch").equals("amd64") ? "x86_64" : System.getProperty("os.arch");
        return "<capabilities>\n  <host>\n    <cpu>\n      <arch>" + arch + "</arch>\n    </cpu>\n  </host>\n"
                + "  <guest>\n    <os_type>hvm</os_type>\n    <arch name='" + arch + "'>\n      <wordsize>64</wordsize>\n"
                + "      <domain type='kvm'/>\n    </arch>\n  </guest>\n</capabilities>\n";
    }
}
