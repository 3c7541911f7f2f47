package org.jkvm.domainxml;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What jkvm does with each libvirt device type: the single table behind {@link JkvmSupport} and the support table
 * in {@code docs/domain-xml.md}.
 */
public final class DeviceSupport {
    /** How a device type is handled. */
    public enum Action {
        /** Mapped to the engine's command line. */
        MAPPED,
        /** Kept in the definition, not emulated, no warning (present in nearly every definition). */
        IGNORED,
        /** Kept in the definition, not emulated, with a warning. */
        WARN,
        /** The definition is refused. */
        REFUSED
    }

    /**
     * The handling of one device type.
     *
     * @param action what jkvm does
     * @param reason the sentence used in the warning or error (and in the docs)
     */
    public record Rule(Action action, String reason) {
    }

    private static final Map<String, Rule> RULES = new LinkedHashMap<>();

    static {
        rule("serial", Action.MAPPED, "the first serial port is COM1 (file, pty as a log file, unix server, null)");
        rule("disk", Action.MAPPED, "a file-backed raw or qcow2 image on the virtio bus is a virtio-blk PCI"
                + " function (-drive and -device virtio-blk-pci); other disk types, devices and buses are refused");
        rule("console", Action.MAPPED, "a console with target type serial is the first serial port");
        rule("emulator", Action.IGNORED, "jkvm starts its own engine; the path is kept");
        rule("controller", Action.IGNORED, "the jkvm machine has no buses to configure; kept for migration checks");
        rule("input", Action.IGNORED, "jkvm has no input devices; kept (libvirt adds PS/2 ones by default)");
        rule("memballoon", Action.IGNORED, "no balloon device is emulated; <currentMemory> is not enforced");
        rule("interface", Action.MAPPED, "a type='ethernet' or type='bridge' interface with model virtio is a"
                + " virtio-net PCI function on a tap (-netdev tap and -device virtio-net-pci); MAC and model are"
                + " compared across migration; other types and models are refused");
        rule("graphics", Action.WARN, "jkvm has no display; use the serial console");
        rule("video", Action.WARN, "jkvm has no display adapter");
        rule("audio", Action.WARN, "jkvm has no sound");
        rule("sound", Action.WARN, "jkvm has no sound");
        rule("channel", Action.WARN, "no virtio-serial channel is emulated (no guest agent)");
        rule("rng", Action.WARN, "no virtio-rng device is emulated");
        rule("watchdog", Action.WARN, "no watchdog is emulated: a hung guest is not reset");
        rule("panic", Action.WARN, "no panic notifier is emulated");
        rule("iommu", Action.WARN, "no IOMMU is emulated");
        rule("vsock", Action.WARN, "no vsock device is emulated");
        rule("smartcard", Action.WARN, "no smartcard reader is emulated");
        rule("redirdev", Action.WARN, "no USB redirection");
        rule("redirfilter", Action.WARN, "no USB redirection");
        rule("hub", Action.WARN, "no USB hub is emulated");
        rule("parallel", Action.WARN, "no parallel port is emulated");
        rule("nvram", Action.WARN, "no NVRAM device is emulated");
        rule("lease", Action.WARN, "lock leases are not managed by jkvm");
        rule("crypto", Action.WARN, "no crypto device is emulated");
        rule("filesystem", Action.REFUSED, "shared filesystems are not supported by jkvm; remove the filesystem");
        rule("hostdev", Action.REFUSED, "host device passthrough is not supported by jkvm; remove the hostdev");
        rule("tpm", Action.REFUSED, "no TPM is emulated and a guest relying on it would lose its secrets; remove"
                + " the tpm");
        rule("memory", Action.REFUSED, "memory hot plug is not supported by jkvm; remove the memory device and size"
                + " <memory> instead");
        rule("shmem", Action.REFUSED, "shared memory devices are not supported by jkvm; remove the shmem");
    }

    private DeviceSupport() {
    }

    private static void rule(String element, Action action, String reason) {
        RULES.put(element, new Rule(action, reason));
    }

    /** The rule for a device element name; unknown names are ignored with a warning. */
    public static Rule of(String element) {
        Rule r = RULES.get(element);
        return r != null ? r : new Rule(Action.WARN, "unknown device type, not emulated by jkvm");
    }

    /** Every device element name with its rule, in the documented order. */
    public static Map<String, Rule> all() {
        return java.util.Collections.unmodifiableMap(RULES);
    }
}
