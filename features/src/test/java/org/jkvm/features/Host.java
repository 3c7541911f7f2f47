package org.jkvm.features;

import java.nio.file.Path;

/** One jkvm host of a two-host test: a daemon with its own state folder, reachable at its TCP URI. */
interface Host extends AutoCloseable {
    /** The daemon's state folder (status, logs, serial output). */
    Path state();

    /** The URI clients use over TCP (from the client namespace, when hosts live in network namespaces). */
    String tcpUri();

    /** The URI of the daemon's UNIX socket (reachable from every network namespace). */
    String unixUri();

    @Override
    void close();
}
