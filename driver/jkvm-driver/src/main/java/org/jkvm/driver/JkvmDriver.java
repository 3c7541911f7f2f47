package org.jkvm.driver;

import java.util.Set;

import org.jkvm.remote.LibvirtError;
import org.jkvm.remote.spi.DriverConnection;
import org.jkvm.remote.spi.HypervisorDriver;

/**
 * The jkvm hypervisor driver: serves {@code jkvm:///system} and {@code jkvm:///session}, the daemon's default
 * (an empty URI), and {@code qemu:///system} / {@code qemu:///session} while the qemu alias is on (platforms such
 * as CloudStack hard-code {@code qemu+tcp://HOST/system}). Both paths reach the same domains. Thread-safe.
 */
public final class JkvmDriver implements HypervisorDriver {
    private static final Set<String> PATHS = Set.of("", "/", "/system", "/session");

    private final DomainManager manager;
    private final boolean qemuAlias;

    /**
     * Creates the driver over a domain manager.
     *
     * @param manager   the daemon's domains
     * @param qemuAlias whether {@code qemu:} URIs are served too
     */
    public JkvmDriver(DomainManager manager, boolean qemuAlias) {
        this.manager = manager;
        this.qemuAlias = qemuAlias;
    }

    @Override
    public String name() {
        return "jkvm";
    }

    @Override
    public boolean accepts(String uri) {
        if (uri == null || uri.isEmpty()) {
            return true;
        }
        String u = uri;
        int q = u.indexOf('?');
        if (q >= 0) {
            u = u.substring(0, q);
        }
        String path;
        if (u.startsWith("jkvm://")) {
            path = u.substring("jkvm://".length());
        } else if (qemuAlias && u.startsWith("qemu://")) {
            path = u.substring("qemu://".length());
        } else {
            return false;
        }
        return PATHS.contains(path);
    }

    @Override
    public DriverConnection open(String uri, boolean readOnly) {
        if (!accepts(uri)) {
            throw LibvirtError.noDriver(uri);
        }
        return new JkvmConnection(manager, uri == null ? "" : uri, readOnly);
    }

    /** The domains this driver serves. */
    public DomainManager manager() {
        return manager;
    }
}
