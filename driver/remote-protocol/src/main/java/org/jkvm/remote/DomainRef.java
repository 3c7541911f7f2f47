package org.jkvm.remote;

import java.util.Objects;
import java.util.UUID;

/**
 * {@code remote_nonnull_domain}: how a domain is named on the wire.
 *
 * <p>The {@code id} is -1 for an inactive domain. A client hands back whatever it was given, so the id (and even
 * the name, after a rename) may be stale: drivers must identify domains by {@link #uuid()}.
 *
 * @param name the domain name
 * @param uuid the domain UUID (16 raw bytes on the wire)
 * @param id   the running id, or -1 when inactive
 */
public record DomainRef(String name, UUID uuid, int id) {
    /** The id libvirt gives an inactive domain. */
    public static final int INACTIVE_ID = -1;

    /** Validates the components. */
    public DomainRef {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(uuid, "uuid");
    }
}
