package org.jkvm.domainxml;

import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import org.jkvm.domainxml.model.Address;
import org.jkvm.domainxml.model.Chardev;
import org.jkvm.domainxml.model.Controller;
import org.jkvm.domainxml.model.Cpu;
import org.jkvm.domainxml.model.CpuFeature;
import org.jkvm.domainxml.model.Disk;
import org.jkvm.domainxml.model.Domain;
import org.jkvm.domainxml.model.Emulator;
import org.jkvm.domainxml.model.Graphics;
import org.jkvm.domainxml.model.Hostdev;
import org.jkvm.domainxml.model.Input;
import org.jkvm.domainxml.model.Interface;
import org.jkvm.domainxml.model.Memballoon;
import org.jkvm.domainxml.model.Rng;
import org.jkvm.domainxml.model.Timer;
import org.jkvm.domainxml.model.Video;
import org.jkvm.domainxml.model.Watchdog;
import org.w3c.dom.Element;

/**
 * The guest-visible (ABI) subset of a definition as ordered {@code path → value} pairs, normalised (sizes in bytes,
 * lower-case UUID and MAC, numeric address fields in decimal, CPU features sorted by name) so that formatting and
 * attribute order do not change it. What may differ across migration is left out: the name, title, description,
 * metadata, emulator, disk and chardev source paths, graphics (listen addresses), the kernel, initrd and command
 * line (already loaded in guest memory) and the lifecycle actions.
 */
final class AbiView {
    private AbiView() {
    }

    static Map<String, String> of(DomainDefinition def) {
        Domain d = def.model();
        Map<String, String> m = new LinkedHashMap<>();
        put(m, "domain/@type", d.type);
        put(m, "uuid", d.uuid == null ? null : safe(() -> def.uuid(), d.uuid));
        put(m, "maxMemory", d.maxMemory == null ? null : safe(() -> bytes(DomainDefinition.size("maxMemory",
                d.maxMemory)), d.maxMemory.value));
        put(m, "memory", d.memory == null ? null : safe(() -> bytes(def.memoryBytes()), d.memory.value));
        put(m, "vcpu", d.vcpu == null || d.vcpu.value == null ? "1" : d.vcpu.value.strip());
        put(m, "vcpu/@current", d.vcpu == null ? null : d.vcpu.current);
        cpu(d.cpu, m);
        if (d.os != null && d.os.type != null) {
            put(m, "os/type", d.os.type.value == null ? null : d.os.type.value.strip());
            put(m, "os/type/@arch", d.os.type.arch);
            put(m, "os/type/@machine", d.os.type.machine);
        }
        if (d.features != null) {
            put(m, "features/acpi", d.features.acpi == null ? null : "on");
            put(m, "features/apic", d.features.apic == null ? null : "on");
            put(m, "features/pae", d.features.pae == null ? null : "on");
            for (Element e : d.features.otherElements) {
                put(m, "features/" + e.getLocalName(), DomCanon.of(e, List.of()));
            }
        }
        if (d.clock != null) {
            put(m, "clock/@offset", d.clock.offset);
            for (Timer t : d.clock.timers) {
                put(m, "clock/timer[@name='" + t.name + "']", join("present", t.present, "tickpolicy", t.tickpolicy,
                        "frequency", t.frequency, "mode", t.mode, "track", t.track));
            }
        }
        devices(d, m);
        return m;
    }

    private static String bytes(long b) {
        return b + " bytes";
    }

    private static String safe(java.util.function.Supplier<String> s, String raw) {
        try {
            return s.get();
        } catch (DomainXmlException e) {
            return raw;
        }
    }

    private static void cpu(Cpu cpu, Map<String, String> m) {
        if (cpu == null) {
            return;
        }
        put(m, "cpu/@mode", cpu.mode == null ? "custom" : cpu.mode);
        put(m, "cpu/model", cpu.model == null || cpu.model.value == null ? null : cpu.model.value.strip());
        put(m, "cpu/vendor", cpu.vendor);
        if (cpu.topology != null) {
            put(m, "cpu/topology", join("sockets", cpu.topology.sockets, "dies", cpu.topology.dies, "clusters",
                    cpu.topology.clusters, "cores", cpu.topology.cores, "threads", cpu.topology.threads));
        }
        cpu.features.stream().sorted(Comparator.comparing(f -> String.valueOf(f.name))).forEach((CpuFeature f) ->
                put(m, "cpu/feature[@name='" + f.name + "']", f.policy == null ? "require" : f.policy));
    }

    private static void devices(Domain d, Map<String, String> m) {
        if (d.devices == null) {
            return;
        }
        Map<String, Integer> seen = new HashMap<>();
        for (Object o : d.devices.all) {
            if (o instanceof Emulator || o instanceof Graphics) {
                continue;
            }
            String name = DeviceNames.of(o);
            String p = "devices/" + name + "[" + seen.merge(name, 1, Integer::sum) + "]";
            put(m, p, describe(o));
            if (o instanceof Disk disk) {
                put(m, p + "/address", address(disk.address));
            } else if (o instanceof Interface i) {
                put(m, p + "/address", address(i.address));
            } else if (o instanceof Controller c) {
                put(m, p + "/address", address(c.address));
            } else if (o instanceof Hostdev h) {
                put(m, p + "/address", address(h.address));
            } else if (o instanceof Video v) {
                put(m, p + "/address", address(v.address));
            } else if (o instanceof Chardev c) {
                put(m, p + "/address", address(c.address));
            }
        }
        new TreeMap<>(seen).forEach((k, v) -> m.put("devices/" + k + " count", Integer.toString(v)));
    }

    private static String describe(Object o) {
        if (o instanceof Disk x) {
            return join("device", x.device == null ? "disk" : x.device, "target", x.target == null ? null
                    : x.target.dev, "bus", x.target == null ? null : x.target.bus, "readonly",
                    x.readonly == null ? null : "yes", "shareable", x.shareable == null ? null : "yes",
                    // The format decides how both engines read the one shared image; the serial is guest-visible.
                    "format", x.driver == null || x.driver.type == null ? "raw" : x.driver.type,
                    "serial", DiskMapping.serial(x));
        } else if (o instanceof Interface x) {
            return join("mac", x.mac == null || x.mac.address == null ? null
                    : x.mac.address.toLowerCase(java.util.Locale.ROOT),
                    "model", x.model == null ? null : x.model.type);
        } else if (o instanceof Chardev x) {
            return x.target == null ? "" : join("target", x.target.type, "port", x.target.port, "name",
                    x.target.name);
        } else if (o instanceof Video x) {
            return x.model == null ? "" : join("model", x.model.type, "vram", x.model.vram, "heads", x.model.heads);
        } else if (o instanceof Input x) {
            return join("type", x.type, "bus", x.bus);
        } else if (o instanceof Controller x) {
            return join("type", x.type, "index", x.index, "model", x.model);
        } else if (o instanceof Memballoon x) {
            return join("model", x.model);
        } else if (o instanceof Rng x) {
            return join("model", x.model);
        } else if (o instanceof Watchdog x) {
            return join("model", x.model);
        } else if (o instanceof Hostdev x) {
            return join("mode", x.mode, "type", x.type);
        } else if (o instanceof Element e) {
            return DomCanon.of(e, List.of("source", "alias", "seclabel"));
        }
        return o.getClass().getSimpleName();
    }

    private static String address(Address a) {
        if (a == null) {
            return null;
        }
        Map<String, String> f = new TreeMap<>();
        String[][] known = {{"type", a.type}, {"domain", a.domain}, {"bus", a.bus}, {"slot", a.slot},
            {"function", a.function}, {"controller", a.controller}, {"target", a.target}, {"unit", a.unit},
            {"port", a.port}, {"multifunction", a.multifunction}};
        for (String[] kv : known) {
            if (kv[1] != null) {
                f.put(kv[0], number(kv[1]));
            }
        }
        a.otherAttributes.forEach((k, v) -> f.put(k.getLocalPart(), number(v)));
        return f.toString();
    }

    /** Numeric fields in decimal ({@code 0x03} and {@code 3} are the same slot). */
    static String number(String v) {
        String s = v.strip();
        try {
            if (s.startsWith("0x") || s.startsWith("0X")) {
                return Long.toString(Long.parseLong(s.substring(2), 16));
            }
            if (s.matches("[0-9]{1,18}")) {
                return Long.toString(Long.parseLong(s));
            }
        } catch (NumberFormatException e) {
            return s;
        }
        return s;
    }

    static String join(String... kv) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i + 1 < kv.length; i += 2) {
            if (kv[i + 1] != null) {
                sb.append(sb.isEmpty() ? "" : " ").append(kv[i]).append('=').append(kv[i + 1].strip());
            }
        }
        return sb.toString();
    }

    private static void put(Map<String, String> m, String key, String value) {
        if (value != null) {
            m.put(key, value);
        }
    }
}
