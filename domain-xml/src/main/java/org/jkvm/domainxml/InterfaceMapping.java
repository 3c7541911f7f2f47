package org.jkvm.domainxml;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import org.jkvm.domainxml.model.Domain;
import org.jkvm.domainxml.model.Interface;

/**
 * {@code <interface>} on the engine's NICs: a virtio NIC on a tap, {@code type='ethernet'} (the tap named by
 * {@code <target dev>}, created when missing unless {@code managed='no'}) or {@code type='bridge'} (a tap enslaved to
 * {@code <source bridge>}), becomes {@code -netdev tap,id=hostnetN,ifname=DEV,script=no,downscript=no[,br=BR]} plus
 * {@code -device virtio-net-pci,netdev=hostnetN,id=netN,mac=MAC,addr=0xSLOT}. Other models are refused with one
 * sentence; other types are kept with a warning and give the guest no NIC (as before NICs existed). The MAC and
 * the PCI slot are assigned at define time when absent ({@link PciSlots#assign}). Thread-safe (stateless).
 */
public final class InterfaceMapping {
    private InterfaceMapping() {
    }

    /** Adds the errors and warnings for one {@code <interface>} at {@code path}. */
    static void check(String path, Interface i, List<Problem> errors, List<Problem> warnings) {
        String type = i.type == null ? "" : i.type;
        if (!mapped(i)) {
            warnings.add(new Problem(path, "interface type '" + type + "' is not emulated, the guest gets no NIC for"
                    + " it (kept and compared across migration); use type='ethernet' with <target dev='TAP'/> or"
                    + " type='bridge' with <source bridge='BRIDGE'/>, and <model type='virtio'/>"));
            return;
        }
        String model = i.model == null ? null : i.model.type;
        if (!"virtio".equals(model)) {
            errors.add(new Problem(path + "/model", (model == null ? "the NIC has no model" : "NIC model '" + model
                    + "' is not supported") + "; jkvm emulates virtio-net, so give <model type='virtio'/>"));
        }
        if (type.equals("bridge") && (i.source == null || i.source.bridge == null || i.source.bridge.isBlank())) {
            errors.add(new Problem(path + "/source", "a type='bridge' interface needs <source bridge='BRIDGE'/>"));
        }
        if (i.target != null && "no".equals(i.target.managed) && (i.target.dev == null || i.target.dev.isBlank())) {
            errors.add(new Problem(path + "/target", "managed='no' needs the name of an existing tap in <target"
                    + " dev='TAP'/>"));
        }
        if (i.target != null && i.target.dev != null && !i.target.dev.matches("[A-Za-z0-9_.:%-]{1,15}")) {
            errors.add(new Problem(path + "/target", "'" + i.target.dev + "' is not an interface name; give 1 to 15"
                    + " letters, digits or _.:-"));
        }
        if (i.mac != null && i.mac.address != null && !validMac(i.mac.address)) {
            errors.add(new Problem(path + "/mac", "'" + i.mac.address + "' is not a unicast MAC address; write six"
                    + " hex pairs separated by colons with an even first byte, e.g. 52:54:00:12:34:56"));
        }
        String addr = DiskMapping.addressProblem(i.address);
        if (addr != null) {
            errors.add(new Problem(path + "/address", addr.replace("virtio disk", "virtio NIC")
                    .replace("jkvm's disks", "jkvm's PCI devices")));
        }
        if (i.boot != null) {
            warnings.add(new Problem(path + "/boot", "the boot order is not applied; jkvm boots its firmware or"
                    + " <kernel>"));
        }
    }

    /** Whether the engine gives the guest this NIC: {@code type='ethernet'} or {@code type='bridge'}. */
    static boolean mapped(Interface i) {
        return "ethernet".equals(i.type) || "bridge".equals(i.type);
    }

    /** Whether {@code mac} is six hex pairs with the group bit clear. */
    static boolean validMac(String mac) {
        return mac.matches("(?i)[0-9a-f]{2}(:[0-9a-f]{2}){5}") && (Integer.parseInt(mac.substring(0, 2), 16) & 1) == 0;
    }

    /** The engine arguments of every NIC, in document order; each must have its MAC and PCI address already. */
    static List<String> engineArgs(Domain d) {
        List<String> a = new ArrayList<>();
        if (d.devices == null) {
            return a;
        }
        int n = 0;
        for (Interface i : d.devices.of(Interface.class)) {
            if (!mapped(i)) {
                continue;
            }
            StringBuilder netdev = new StringBuilder("tap,id=hostnet").append(n);
            String dev = i.target == null || i.target.dev == null ? "vnet%d" : i.target.dev.strip();
            netdev.append(",ifname=").append(dev);
            if ("bridge".equals(i.type)) {
                netdev.append(",br=").append(i.source.bridge.strip());
            } else {
                netdev.append(",script=no,downscript=no");
            }
            if (i.mac == null || i.mac.address == null || i.address == null) {
                throw new DomainXmlException("interface " + n + " has no MAC or PCI address; define the domain so"
                        + " that they are assigned");
            }
            a.add("-netdev");
            a.add(netdev.toString());
            a.add("-device");
            a.add("virtio-net-pci,netdev=hostnet" + n + ",id=net" + n + ",mac="
                    + i.mac.address.toLowerCase(Locale.ROOT) + ",addr=0x" + Integer.toHexString(PciSlots.number(
                    i.address.slot)));
            n++;
        }
        return a;
    }

    /**
     * The taps a definition names with {@code managed='no'}: they must exist before the domain starts (libvirt's
     * rule); the driver checks them.
     */
    public static List<String> unmanagedTaps(Domain d) {
        List<String> out = new ArrayList<>();
        if (d.devices != null) {
            for (Interface i : d.devices.of(Interface.class)) {
                if (i.target != null && "no".equals(i.target.managed) && i.target.dev != null) {
                    out.add(i.target.dev.strip());
                }
            }
        }
        return out;
    }

    /** A random MAC in QEMU's and libvirt's 52:54:00 prefix. */
    static String randomMac() {
        java.util.concurrent.ThreadLocalRandom r = java.util.concurrent.ThreadLocalRandom.current();
        return String.format("52:54:00:%02x:%02x:%02x", r.nextInt(256), r.nextInt(256), r.nextInt(256));
    }
}
