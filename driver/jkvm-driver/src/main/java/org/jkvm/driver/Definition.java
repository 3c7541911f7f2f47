package org.jkvm.driver;

import java.util.UUID;

/**
 * A parsed, validated domain definition as the driver needs it: identity, size and the XML it came from.
 *
 * @param name      the domain name
 * @param uuid      the domain UUID
 * @param memoryKiB the memory size in KiB
 * @param vcpus     the number of virtual CPUs
 * @param xml       the definition's XML (normalised by the domain-xml layer)
 * @param virtType  the domain type: {@code kvm} (runs on KVM) or {@code qemu} (runs on jkvm's software CPU)
 */
public record Definition(String name, UUID uuid, long memoryKiB, int vcpus, String xml, String virtType) {
}
