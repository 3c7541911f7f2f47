package org.jkvm.domainxml;

import java.util.ArrayList;
import java.util.List;

import org.jkvm.domainxml.model.Chardev;
import org.jkvm.domainxml.model.Domain;

/**
 * The engine command line a definition maps to (docs/contracts.md, the engine's qemu-style options):
 * {@code -name}, {@code -uuid}, {@code -accel} from the domain type ({@link #accelerator}), {@code -m} (KiB or
 * MiB), {@code -smp 1}, {@code -cpu} (see {@link CpuMapping}),
 * {@code -abi-fingerprint} ({@link Fingerprint#of}),
 * {@code -kernel} only when {@code <os><kernel>} is given (else the engine boots its bundled firmware),
 * {@code -initrd} from {@code <os><initrd>} (a Linux or PVH kernel's initrd; multiboot modules, QEMU's
 * comma-separated form), {@code -append} from {@code <os><cmdline>}, {@code -serial} from the first serial port (see
 * {@link SerialBackend}), {@code -drive} and {@code -device virtio-blk-pci} per disk ({@link DiskMapping}),
 * {@code -netdev} and {@code -device virtio-net-pci} per NIC ({@link InterfaceMapping}), {@code -global
 * migration.announce-*} from {@code <qemu:commandline>} ({@link QemuCommandline}),
 * then {@code -qmp} and {@code -pidfile} from the {@link RuntimePaths}.
 * The driver adds launch-time options such as {@code -S} and {@code -incoming}.
 */
public final class EngineArgs {
    private EngineArgs() {
    }

    /**
     * The engine arguments (without the engine executable itself).
     *
     * @throws DomainXmlException listing every reason when jkvm cannot run the definition, or when it has no UUID
     *                            (define it first: {@link DomainDefinition#withUuidIfAbsent()})
     */
    public static List<String> of(DomainDefinition given, RuntimePaths paths) {
        JkvmSupport.check(given).requireOk(given.name());
        // A defined domain has its disks' addresses already; a bare file gets the same ones here.
        DomainDefinition def = PciSlots.assign(given);
        if (def.uuid() == null) {
            throw new DomainXmlException("domain '" + def.name() + "' has no UUID; define it first so that one is"
                    + " generated");
        }
        Domain d = def.model();
        List<String> a = new ArrayList<>();
        add(a, "-name", def.name());
        add(a, "-uuid", def.uuid());
        add(a, "-accel", accelerator(d.type));
        add(a, "-m", memory(def.memoryBytes()));
        add(a, "-smp", "1");
        add(a, "-cpu", CpuMapping.engineValue(d.cpu, d.type));
        // The engine carries this in its migration handshake, so a destination started from a definition that
        // differs in any ABI-relevant way refuses the stream (the engine cannot see XML itself).
        add(a, "-abi-fingerprint", Fingerprint.of(def));
        if (d.os.kernel != null && !d.os.kernel.isBlank()) {
            add(a, "-kernel", d.os.kernel.strip());
        }
        if (d.os.initrd != null && !d.os.initrd.isBlank()) {
            add(a, "-initrd", d.os.initrd.strip());
        }
        if (d.os.cmdline != null && !d.os.cmdline.isBlank()) {
            add(a, "-append", d.os.cmdline.strip());
        }
        Chardev com1 = JkvmSupport.com1(d);
        add(a, "-serial", SerialBackend.engineValue(com1, paths));
        a.addAll(DiskMapping.engineArgs(d));
        a.addAll(InterfaceMapping.engineArgs(d));
        a.addAll(QemuCommandline.engineArgs(d));
        if (paths.qmpSocket() != null) {
            add(a, "-qmp", "unix:" + paths.qmpSocket() + ",server,nowait");
        }
        if (paths.pidFile() != null) {
            add(a, "-pidfile", paths.pidFile().toString());
        }
        return List.copyOf(a);
    }

    /**
     * The engine's {@code -accel} for a domain type, as QEMU spells it: {@code kvm} for {@code type='kvm'},
     * {@code tcg} (jkvm's software CPU) for {@code type='qemu'}.
     *
     * @throws DomainXmlException for any other type
     */
    public static String accelerator(String domainType) {
        if ("kvm".equals(domainType)) {
            return "kvm";
        }
        if ("qemu".equals(domainType)) {
            return "tcg";
        }
        throw new DomainXmlException("domain type '" + domainType + "' has no jkvm accelerator; use"
                + " <domain type='kvm'> or <domain type='qemu'>");
    }

    /** {@code -m} in MiB ({@code 256M}) when whole, else in KiB ({@code 219136K}). */
    static String memory(long bytes) {
        return bytes % (1L << 20) == 0 ? (bytes >> 20) + "M" : (bytes >> 10) + "K";
    }

    private static void add(List<String> a, String option, String value) {
        a.add(option);
        a.add(value);
    }

    /** The arguments as one shell-quoted line, for people ({@code bin/jkvm-xml to-engine}). */
    public static String shellLine(List<String> args) {
        StringBuilder sb = new StringBuilder();
        for (String s : args) {
            if (!sb.isEmpty()) {
                sb.append(' ');
            }
            sb.append(s.matches("[A-Za-z0-9_./:,=+@%-]+") ? s : "'" + s.replace("'", "'\\''") + "'");
        }
        return sb.toString();
    }
}
