package org.jkvm.domainxml;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import org.jkvm.domainxml.model.Chardev;
import org.jkvm.domainxml.model.Cpu;
import org.jkvm.domainxml.model.CpuFeature;
import org.jkvm.domainxml.model.Domain;
import org.jkvm.domainxml.model.Interface;
import org.jkvm.domainxml.model.MemorySize;

/**
 * The rules libvirt applies when it defines a domain, independent of the hypervisor: a known domain type, a
 * usable name, a valid UUID, sizes with known units, positive vCPU counts, known CPU modes and feature policies,
 * known lifecycle actions, valid MAC addresses and chardev types. Thread-safe (stateless).
 */
public final class LibvirtRules {
    /** Domain types in libvirt's schema. */
    public static final Set<String> DOMAIN_TYPES = Set.of("qemu", "kqemu", "kvm", "xen", "lxc", "uml", "openvz",
            "test", "vmware", "hyperv", "vbox", "phyp", "vz", "bhyve", "hvf");
    private static final Set<String> CPU_MODES = Set.of("custom", "host-model", "host-passthrough", "maximum");
    private static final Set<String> POLICIES = Set.of("force", "require", "optional", "disable", "forbid");
    private static final Set<String> ACTIONS = Set.of("destroy", "restart", "preserve", "rename-restart",
            "coredump-destroy", "coredump-restart");
    private static final Set<String> CHARDEV_TYPES = Set.of("dev", "file", "pipe", "unix", "tcp", "udp", "null",
            "stdio", "vc", "pty", "spicevmc", "spiceport", "nmdm", "qemu-vdagent", "dbus");

    private LibvirtRules() {
    }

    /** Every violation, in document order; empty when libvirt would accept the definition. */
    public static List<Problem> check(DomainDefinition def) {
        Domain d = def.model();
        List<Problem> out = new ArrayList<>();
        if (d.type == null) {
            out.add(new Problem("domain", "the type attribute is missing; write <domain type='kvm'>"));
        } else if (!DOMAIN_TYPES.contains(d.type)) {
            out.add(new Problem("domain", "unknown domain type '" + d.type + "'; jkvm runs type 'kvm'"));
        }
        checkName(d.name, out);
        attempt(out, () -> def.uuid());
        checkSize("maxMemory", d.maxMemory, out);
        if (d.memory == null) {
            out.add(new Problem("memory", "the <memory> element is missing; add e.g. <memory unit='MiB'>256</memory>"));
        }
        checkSize("memory", d.memory, out);
        checkSize("currentMemory", d.currentMemory, out);
        checkVcpu(def, out);
        checkCpu(d.cpu, out);
        if (d.os == null || d.os.type == null || d.os.type.value == null || d.os.type.value.isBlank()) {
            out.add(new Problem("os/type", "the OS type is missing; add <os><type arch='x86_64'>hvm</type></os>"));
        }
        checkAction("on_poweroff", d.onPoweroff, out);
        checkAction("on_reboot", d.onReboot, out);
        checkAction("on_crash", d.onCrash, out);
        checkDevices(def, out);
        return out;
    }

    /**
     * Throws when libvirt would refuse the definition, listing every violation in one message.
     *
     * @throws DomainXmlException naming each element path and the fix
     */
    public static void require(DomainDefinition def) {
        List<Problem> p = check(def);
        if (!p.isEmpty()) {
            throw new DomainXmlException(SupportReport.joined("invalid domain definition", p));
        }
    }

    private static void attempt(List<Problem> out, Runnable r) {
        try {
            r.run();
        } catch (DomainXmlException e) {
            String m = e.getMessage();
            int colon = m.indexOf(": ");
            out.add(colon > 0 ? new Problem(m.substring(0, colon), m.substring(colon + 2)) : new Problem("domain", m));
        }
    }

    private static void checkName(String name, List<Problem> out) {
        if (name == null || name.isBlank()) {
            out.add(new Problem("name", "the domain has no name; add <name>NAME</name>"));
        } else if (name.contains("/")) {
            out.add(new Problem("name", "'" + name + "' contains '/', which libvirt does not allow in a name"));
        } else if (name.chars().anyMatch(c -> c < 0x20)) {
            out.add(new Problem("name", "the name contains a control character (such as a newline); remove it"));
        } else if (!name.equals(name.strip())) {
            out.add(new Problem("name", "'" + name + "' starts or ends with blanks; remove them"));
        }
    }

    private static void checkSize(String path, MemorySize m, List<Problem> out) {
        if (m != null) {
            attempt(out, () -> DomainDefinition.size(path, m));
        }
    }

    private static void checkVcpu(DomainDefinition def, List<Problem> out) {
        Domain d = def.model();
        if (d.vcpu == null) {
            return;
        }
        attempt(out, () -> def.vcpus());
        if (d.vcpu.current != null) {
            attempt(out, () -> {
                int cur = DomainDefinition.positive("vcpu/@current", d.vcpu.current);
                if (cur > def.vcpus()) {
                    throw new DomainXmlException("vcpu/@current: " + cur + " current vCPUs exceed the maximum of "
                            + def.vcpus() + "; lower current or raise <vcpu>");
                }
            });
        }
    }

    private static void checkCpu(Cpu cpu, List<Problem> out) {
        if (cpu == null) {
            return;
        }
        if (cpu.mode != null && !CPU_MODES.contains(cpu.mode)) {
            out.add(new Problem("cpu/@mode", "unknown CPU mode '" + cpu.mode
                    + "'; use custom, host-model, host-passthrough or maximum"));
        }
        for (int i = 0; i < cpu.features.size(); i++) {
            CpuFeature f = cpu.features.get(i);
            String path = "cpu/feature[" + (i + 1) + "]";
            if (f.name == null || f.name.isBlank()) {
                out.add(new Problem(path, "the feature has no name; add name='...'"));
            }
            if (f.policy != null && !POLICIES.contains(f.policy)) {
                out.add(new Problem(path, "unknown policy '" + f.policy
                        + "'; use force, require, optional, disable or forbid"));
            }
        }
    }

    private static void checkAction(String path, String value, List<Problem> out) {
        if (value != null && !ACTIONS.contains(value.strip())) {
            out.add(new Problem(path, "unknown action '" + value.strip() + "'; use destroy, restart, preserve,"
                    + " rename-restart, coredump-destroy or coredump-restart"));
        }
    }

    private static void checkDevices(DomainDefinition def, List<Problem> out) {
        int nic = 0;
        for (Interface i : def.devices(Interface.class)) {
            nic++;
            if (i.mac != null && (i.mac.address == null
                    || !i.mac.address.matches("[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}"))) {
                out.add(new Problem("devices/interface[" + nic + "]/mac", "'" + i.mac.address
                        + "' is not a MAC address; write six hex pairs like 52:54:00:12:34:56"));
            }
        }
        for (Chardev c : def.devices(Chardev.class)) {
            if (c.type != null && !CHARDEV_TYPES.contains(c.type)) {
                out.add(new Problem("devices/" + DeviceNames.of(c), "unknown character device type '" + c.type
                        + "'; use pty, file, unix, tcp or another libvirt chardev type"));
            }
        }
    }
}
