package org.jkvm.driver;

import java.nio.file.Path;

import org.jkvm.domainxml.KvmDevice;
import org.jkvm.domainxml.LibvirtRules;
import org.jkvm.remote.ErrorCodes;
import org.jkvm.remote.LibvirtError;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Whether KVM works on this host, as the daemon sees it: probed once when the daemon starts and again on demand
 * (capabilities, domain capabilities, and each start of a {@code type='kvm'} domain, as libvirt checks the device at
 * every start), by opening the configured KVM device ({@link KvmDevice}). The engine is not asked: the driver and
 * the engines meet only at processes and QMP. A change is logged once. Thread-safe.
 */
final class HostKvm {
    private static final Logger LOG = LoggerFactory.getLogger(HostKvm.class);
    /** libvirt's sentence (qemu_process.c) when a type='kvm' domain is started without KVM. */
    static final String REQUIRES_KVM = "Domain requires KVM, but it is not available. Check that virtualization is"
            + " enabled in the host BIOS, and host configuration is setup to load the kvm modules.";

    private final Path device;
    private volatile KvmDevice.Status last;

    /** Probes {@code device} once and logs the answer. */
    HostKvm(Path device) {
        this.device = device;
        this.last = KvmDevice.probe(device);
        if (last.usable()) {
            LOG.info("KVM works on this host ({}): type='kvm' and type='qemu' domains can start", device);
        } else {
            LOG.info("KVM is not available: {}; only type='qemu' domains (jkvm's software CPU) can start",
                    last.reason());
        }
    }

    /** The KVM device path the daemon uses. */
    Path device() {
        return device;
    }

    /** The last probe's answer, without probing. */
    KvmDevice.Status last() {
        return last;
    }

    /** Probes again (the kvm module may have been loaded or unloaded since) and returns the answer. */
    KvmDevice.Status refresh() {
        KvmDevice.Status now = KvmDevice.probe(device);
        KvmDevice.Status before = last;
        last = now;
        if (now.usable() != before.usable()) {
            LOG.info(now.usable() ? "KVM works on this host now ({})" : "KVM is no longer available: {}",
                    now.usable() ? device : now.reason());
        }
        return now;
    }

    /**
     * The virtualization type {@code virsh domcapabilities --virttype} asks for, resolved as libvirt's qemu driver
     * does: none means {@code kvm} when KVM works, else {@code qemu}; {@code kvm} without KVM, another known type
     * and an unknown one are refused with libvirt's sentences (VIR_ERR_INVALID_ARG).
     *
     * @param requested the requested type, or null or empty for the default
     * @param emulator  the engine program, named in the refusals as libvirt names the QEMU binary
     */
    String virtType(String requested, String emulator) {
        boolean kvm = refresh().usable();
        if (requested == null || requested.isEmpty()) {
            return kvm ? "kvm" : "qemu";
        }
        if (!LibvirtRules.DOMAIN_TYPES.contains(requested)) {
            throw LibvirtError.invalidArg("unknown virttype: " + requested);
        }
        if (requested.equals("kvm") && !kvm) {
            throw LibvirtError.invalidArg("KVM is not supported by '" + emulator + "' on this host");
        }
        if (!requested.equals("kvm") && !requested.equals("qemu")) {
            throw LibvirtError.invalidArg("Emulator '" + emulator + "' does not support virt type '" + requested
                    + "'");
        }
        return requested;
    }

    /**
     * Refuses to start a {@code type='kvm'} domain when KVM does not work here, with libvirt's sentence and code
     * (VIR_ERR_CONFIG_UNSUPPORTED from the qemu driver), before any engine is started.
     */
    void requireFor(Definition def) {
        if (!"kvm".equals(def.virtType())) {
            return;
        }
        KvmDevice.Status s = refresh();
        if (!s.usable()) {
            LOG.warn("refusing to start type='kvm' domain {}: {}", def.name(), s.reason());
            throw new LibvirtError(ErrorCodes.CONFIG_UNSUPPORTED, ErrorCodes.FROM_QEMU,
                    "unsupported configuration: " + REQUIRES_KVM);
        }
    }
}
