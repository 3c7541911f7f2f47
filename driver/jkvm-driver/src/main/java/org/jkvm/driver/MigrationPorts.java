package org.jkvm.driver;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.HashSet;
import java.util.Set;

/**
 * Hands out incoming-migration ports from the configured range: a port is free when it is not reserved by another
 * incoming migration and can be bound right now. Thread-safe.
 */
final class MigrationPorts {
    private final int from;
    private final int to;
    private final Set<Integer> reserved = new HashSet<>();

    MigrationPorts(int from, int to) {
        this.from = from;
        this.to = to;
    }

    /**
     * Reserves a free port.
     *
     * @throws org.jkvm.remote.LibvirtError 9 OPERATION_FAILED when every port of the range is taken
     */
    synchronized int reserve() {
        for (int p = from; p <= to; p++) {
            if (!reserved.contains(p) && bindable(p)) {
                reserved.add(p);
                return p;
            }
        }
        throw VirErrors.operationFailed("no free incoming migration port in " + from + "-" + to
                + "; finish other migrations or widen --migration-ports", null);
    }

    synchronized void release(int port) {
        reserved.remove(port);
    }

    private static boolean bindable(int port) {
        try (ServerSocket s = new ServerSocket()) {
            s.setReuseAddress(true);
            s.bind(new InetSocketAddress(port));
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}
