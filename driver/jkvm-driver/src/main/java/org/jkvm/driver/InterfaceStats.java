package org.jkvm.driver;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

import org.jkvm.domainxml.DomainDefinition;
import org.jkvm.domainxml.DomainXml;
import org.jkvm.domainxml.model.Interface;
import org.jkvm.remote.LibvirtError;

/**
 * {@code virsh domifstat}: a NIC's counters read from its tap on this host ({@code /sys/class/net/TAP/statistics}),
 * turned to the guest's side as libvirt does for taps (what the tap transmits, the guest received). Stateless.
 */
final class InterfaceStats {
    /** Sysfs counter names in libvirt's order, host side: the guest's rx is the tap's tx. */
    private static final List<String> HOST_COUNTERS = List.of("tx_bytes", "tx_packets", "tx_errors", "tx_dropped",
            "rx_bytes", "rx_packets", "rx_errors", "rx_dropped");

    private InterfaceStats() {
    }

    /**
     * The eight counters of the NIC named {@code device} (its target dev or MAC) in the domain {@code xml}.
     *
     * @throws LibvirtError INVALID_ARG when no NIC has that name or its tap has no name in the XML
     */
    static long[] of(String xml, String device) {
        DomainDefinition d = DomainXml.parse(xml);
        for (Interface i : d.devices(Interface.class)) {
            String dev = i.target == null ? null : i.target.dev;
            String mac = i.mac == null || i.mac.address == null ? null : i.mac.address.toLowerCase(Locale.ROOT);
            if (device.equals(dev) || device.toLowerCase(Locale.ROOT).equals(mac)) {
                if (dev == null || dev.contains("%")) {
                    throw LibvirtError.invalidArg("the interface " + device + " has no tap name in its definition;"
                            + " give it <target dev='TAP'/>");
                }
                return read(dev);
            }
        }
        throw LibvirtError.invalidArg("invalid path, '" + device + "' is not a known interface");
    }

    private static long[] read(String tap) {
        long[] out = new long[HOST_COUNTERS.size()];
        for (int k = 0; k < out.length; k++) {
            Path p = Path.of("/sys/class/net", tap, "statistics", HOST_COUNTERS.get(k));
            try {
                out[k] = Long.parseLong(Files.readString(p).strip());
            } catch (IOException | NumberFormatException e) {
                throw LibvirtError.operationFailed("cannot read the counters of tap " + tap + " (" + p + "): "
                        + e.getMessage());
            }
        }
        return out;
    }
}
