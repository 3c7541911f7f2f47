package org.jkvm.domainxml;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.stream.Collectors;

/**
 * An ABI stability check in the spirit of libvirt's {@code virDomainDefCheckABIStability}: the guest-visible
 * configuration of the source and the destination must be identical (memory, vCPUs, CPU model and features, arch
 * and machine, timers, devices in order with their addresses, targets, NIC MACs and models, serial ports). What
 * may change is listed on {@link AbiView}. Thread-safe (stateless).
 */
public final class AbiCheck {
    private AbiCheck() {
    }

    /** Every difference, source order first; empty when migration between the two is safe. */
    public static List<AbiDifference> compare(DomainDefinition source, DomainDefinition destination) {
        Map<String, String> a = AbiView.of(source);
        Map<String, String> b = AbiView.of(destination);
        List<AbiDifference> out = new ArrayList<>();
        a.forEach((k, v) -> {
            if (!Objects.equals(v, b.get(k))) {
                out.add(new AbiDifference(k, v, b.get(k)));
            }
        });
        b.forEach((k, v) -> {
            if (!a.containsKey(k)) {
                out.add(new AbiDifference(k, null, v));
            }
        });
        return out;
    }

    /**
     * Throws unless the two are ABI-compatible, listing every difference in one message. A different domain type
     * (KVM against the software CPU) is reported first and alone, in libvirt's words, as libvirt's ABI check does.
     *
     * @throws DomainXmlException naming each difference
     */
    public static void require(DomainDefinition source, DomainDefinition destination) {
        List<AbiDifference> diff = compare(source, destination);
        for (AbiDifference d : diff) {
            if (d.path().equals("domain/@type")) {
                throw new DomainXmlException("Target domain virt type " + d.destination() + " does not match source "
                        + d.source());
            }
        }
        if (!diff.isEmpty()) {
            throw new DomainXmlException("the destination definition of '" + source.name() + "' differs from the"
                    + " source in " + diff.size() + (diff.size() == 1 ? " guest-visible setting: " : " guest-visible"
                    + " settings: ") + diff.stream().map(AbiDifference::toString).collect(Collectors.joining("; "))
                    + "; migrate with the source's definition");
        }
    }
}
