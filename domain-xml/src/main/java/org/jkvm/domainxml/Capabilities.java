package org.jkvm.domainxml;

import java.util.List;

import org.jkvm.domainxml.internal.XmlText;

/**
 * The capabilities documents the driver serves: host capabilities ({@code virsh capabilities},
 * libvirt's capability.rng) and domain capabilities ({@code virsh domcapabilities}, domaincaps.rng), describing
 * what jkvm offers: x86_64 {@code hvm} guests on machine {@code pc}, of type {@code qemu} (jkvm's software CPU,
 * always) and {@code kvm} (when KVM works on the host), as libvirt's qemu driver lists them; one vCPU, the CPU
 * models {@code qemu64}, {@code kvm64} and {@code host} (KVM only), live migration over tcp, virtio disks, and no
 * display or passthrough. Thread-safe (stateless).
 */
public final class Capabilities {
    /** The machine type jkvm reports (it runs one fixed PC-like machine). */
    public static final String MACHINE = "pc";
    /** The most vCPUs a guest may have. */
    public static final int MAX_VCPUS = 1;

    private Capabilities() {
    }

    /**
     * The host capabilities XML.
     *
     * @param h   the host's facts
     * @param kvm whether KVM works here ({@link KvmDevice#probe()}): the guest lists {@code <domain type='kvm'/>}
     *            after {@code <domain type='qemu'/>} only then
     */
    public static String host(HostInfo h, boolean kvm) {
        XmlText x = new XmlText().open("capabilities").open("host");
        x.text("uuid", h.uuid());
        x.open("cpu").text("arch", "x86_64").text("vendor", h.cpuVendor())
                .empty("topology", "sockets", "1", "dies", "1", "cores", Integer.toString(h.cpus()), "threads", "1");
        for (String f : h.cpuFlags()) {
            x.empty("feature", "name", f);
        }
        x.empty("pages", "unit", "KiB", "size", "4").close();
        x.empty("power_management").empty("iommu", "support", "no");
        x.open("migration_features").empty("live").open("uri_transports").text("uri_transport", "tcp").close()
                .close();
        x.open("topology").open("cells", "num", "1").open("cell", "id", "0")
                .text("memory", Long.toString(h.memoryKiB()), "unit", "KiB")
                .open("cpus", "num", Integer.toString(h.cpus()));
        for (int i = 0; i < h.cpus(); i++) {
            String id = Integer.toString(i);
            x.empty("cpu", "id", id, "socket_id", "0", "die_id", "0", "core_id", id, "siblings", id);
        }
        x.close().close().close().close();
        x.open("secmodel").text("model", "none").text("doi", "0").close();
        x.close();
        x.open("guest").text("os_type", "hvm").open("arch", "name", "x86_64").text("wordsize", "64")
                .text("emulator", h.engine()).text("machine", MACHINE, "maxCpus", Integer.toString(MAX_VCPUS))
                .empty("domain", "type", "qemu");
        if (kvm) {
            x.empty("domain", "type", "kvm");
        }
        x.close();
        x.open("features").empty("acpi", "default", "on", "toggle", "no")
                .empty("apic", "default", "on", "toggle", "no").empty("cpuselection").close();
        x.close();
        return x.close().toString();
    }

    /**
     * The domain capabilities XML for the engine at {@code engine} (an absolute path) and a virtualization type.
     * On {@code qemu} (the software CPU) host-passthrough is not supported, as with QEMU's TCG, and host-model is
     * the engine's {@code max}.
     *
     * @param virtType {@code kvm} or {@code qemu}
     */
    public static String domain(String engine, String virtType) {
        boolean kvm = "kvm".equals(virtType);
        if (!kvm && !"qemu".equals(virtType)) {
            throw new IllegalArgumentException("virtualization type '" + virtType + "' is not kvm or qemu");
        }
        XmlText x = new XmlText().open("domainCapabilities");
        x.text("path", engine).text("domain", virtType).text("machine", MACHINE).text("arch", "x86_64");
        x.empty("vcpu", "max", Integer.toString(MAX_VCPUS)).empty("iothreads", "supported", "no");
        x.open("os", "supported", "yes").open("enum", "name", "firmware").close()
                .open("loader", "supported", "no").open("enum", "name", "type").close().close().close();
        x.open("cpu");
        if (kvm) {
            x.open("mode", "name", "host-passthrough", "supported", "yes")
                    .open("enum", "name", "hostPassthroughMigratable").text("value", "off").close().close();
        } else {
            x.empty("mode", "name", "host-passthrough", "supported", "no");
        }
        x.empty("mode", "name", "maximum", "supported", "yes");
        x.open("mode", "name", "host-model", "supported", "yes").text("model", kvm ? "host" : "max", "fallback",
                "forbid").close();
        x.open("mode", "name", "custom", "supported", "yes");
        for (String m : List.of("qemu64", "kvm64")) {
            x.text("model", m, "usable", "yes", "vendor", "unknown");
        }
        x.close().close();
        x.open("devices");
        x.open("disk", "supported", "yes");
        x.open("enum", "name", "diskDevice").text("value", "disk").close();
        x.open("enum", "name", "bus").text("value", "virtio").close();
        x.open("enum", "name", "model").close();
        x.close();
        for (String d : List.of("graphics", "video", "hostdev", "rng", "filesystem", "tpm", "redirdev",
                "channel")) {
            x.empty(d, "supported", "no");
        }
        x.close();
        x.open("features");
        for (String f : List.of("vmcoreinfo", "genid", "backingStoreInput", "backup")) {
            x.empty(f, "supported", "no");
        }
        x.empty("sev", "supported", "no").empty("sgx", "supported", "no");
        x.close();
        return x.close().toString();
    }
}
