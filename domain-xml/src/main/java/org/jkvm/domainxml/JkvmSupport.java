package org.jkvm.domainxml;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.jkvm.domainxml.model.Chardev;
import org.jkvm.domainxml.model.Console;
import org.jkvm.domainxml.model.Disk;
import org.jkvm.domainxml.model.Domain;
import org.jkvm.domainxml.model.Hostdev;
import org.jkvm.domainxml.model.Memballoon;
import org.jkvm.domainxml.model.Serial;
import org.jkvm.domainxml.model.Video;
import org.w3c.dom.Element;

/**
 * Checks a definition against what this driver runs: domain type {@code kvm} (KVM) or {@code qemu} (jkvm's
 * software CPU, as libvirt's {@code qemu} type is QEMU's TCG), x86_64 {@code hvm}, one vCPU, the
 * engine's CPU models, the bundled firmware or a kernel, one serial port, and each device by
 * {@link DeviceSupport}. Domain-level rules are in {@link JkvmDomainRules}. Thread-safe (stateless).
 */
public final class JkvmSupport {
    /** The domain types this driver accepts: {@code kvm} runs on KVM, {@code qemu} on jkvm's software CPU. */
    public static final List<String> DOMAIN_TYPES = List.of("kvm", "qemu");

    private JkvmSupport() {
    }

    /** Errors and warnings for running {@code def} on jkvm. Does not throw for unsupported content. */
    public static SupportReport check(DomainDefinition def) {
        List<Problem> errors = new ArrayList<>();
        List<Problem> warnings = new ArrayList<>();
        for (Problem p : LibvirtRules.check(def)) {
            errors.add(p);
        }
        if (errors.isEmpty()) {
            JkvmDomainRules.check(def, errors, warnings);
            checkDevices(def.model(), errors, warnings);
        }
        return new SupportReport(errors, warnings);
    }

    private static void checkDevices(Domain d, List<Problem> errors, List<Problem> warnings) {
        if (d.devices == null) {
            return;
        }
        Map<String, Integer> seen = new HashMap<>();
        int serials = 0;
        for (Object dev : d.devices.all) {
            String name = DeviceNames.of(dev);
            int n = seen.merge(name, 1, Integer::sum);
            String path = "devices/" + name + "[" + n + "]";
            DeviceSupport.Rule rule = DeviceSupport.of(name);
            if (dev instanceof Disk disk) {
                DiskMapping.check(path, disk, errors, warnings);
            } else if (dev instanceof org.jkvm.domainxml.model.Interface nic) {
                InterfaceMapping.check(path, nic, errors, warnings);
            } else if (dev instanceof Hostdev h) {
                errors.add(new Problem(path, hostdevReason(h)));
            } else if (dev instanceof Serial s) {
                serials++;
                checkSerial(path, s, serials, errors);
            } else if (dev instanceof Console c) {
                checkConsole(path, c, d, errors, warnings);
            } else if (rule.action() == DeviceSupport.Action.REFUSED) {
                errors.add(new Problem(path, rule.reason()));
            } else if (rule.action() == DeviceSupport.Action.WARN && !isNone(dev)) {
                warnings.add(new Problem(path, rule.reason()));
            } else if (dev instanceof Memballoon m && m.model != null && !"none".equals(m.model)) {
                warnings.add(new Problem(path, rule.reason()));
            }
        }
        PciSlots.duplicates(d).forEach((slot, users) -> errors.add(new Problem("devices", "PCI slot " + slot
                + " of bus 0 is given to " + String.join(" and ", users) + "; give each device its own slot")));
        Map<String, Integer> targets = new HashMap<>();
        for (Disk disk : d.devices.of(Disk.class)) {
            String dev = disk.target == null ? null : disk.target.dev;
            if (dev != null && targets.merge(dev, 1, Integer::sum) == 2) {
                errors.add(new Problem("devices", "two disks have target dev='" + disk.target.dev + "'; give each"
                        + " disk its own target name (vda, vdb...)"));
            }
        }
    }

    private static boolean isNone(Object dev) {
        if (dev instanceof Video v) {
            return v.model != null && "none".equals(v.model.type);
        }
        return dev instanceof Element e && "none".equals(e.getAttribute("model"));
    }

    static String hostdevReason(Hostdev h) {
        String kind = switch (h.type == null ? "" : h.type) {
            case "pci" -> "PCI passthrough";
            case "usb" -> "USB passthrough";
            case "scsi", "scsi_host" -> "SCSI passthrough";
            case "mdev" -> "mediated device passthrough";
            default -> "host device passthrough";
        };
        return kind + " is not supported by jkvm; remove the <hostdev> (the engine emulates its devices)";
    }

    private static void checkSerial(String path, Serial s, int index, List<Problem> errors) {
        if (index > 1) {
            errors.add(new Problem(path, "jkvm emulates one serial port (COM1); remove the extra <serial>"));
            return;
        }
        String problem = SerialBackend.problem(s);
        if (problem != null) {
            errors.add(new Problem(path, problem));
        }
    }

    private static void checkConsole(String path, Console c, Domain d, List<Problem> errors,
            List<Problem> warnings) {
        String target = c.target == null || c.target.type == null ? "serial" : c.target.type;
        if (!"serial".equals(target)) {
            warnings.add(new Problem(path, "console target type '" + target + "' is not emulated; only the serial"
                    + " console (COM1) exists"));
            return;
        }
        boolean hasSerial = d.devices.all.stream().anyMatch(o -> o instanceof Serial);
        if (!hasSerial) {
            String problem = SerialBackend.problem(c);
            if (problem != null) {
                errors.add(new Problem(path, problem));
            }
        }
    }

    /** The chardev that becomes COM1: the first {@code <serial>}, else a serial-target {@code <console>}. */
    static Chardev com1(Domain d) {
        if (d.devices == null) {
            return null;
        }
        for (Object o : d.devices.all) {
            if (o instanceof Serial s) {
                return s;
            }
        }
        for (Object o : d.devices.all) {
            if (o instanceof Console c && (c.target == null || c.target.type == null
                    || "serial".equals(c.target.type))) {
                return c;
            }
        }
        return null;
    }
}
