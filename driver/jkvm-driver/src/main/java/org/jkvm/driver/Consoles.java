package org.jkvm.driver;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

import org.jkvm.remote.LibvirtError;
import org.jkvm.remote.spi.ConsoleStream;
import org.jkvm.remote.spi.StreamSink;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The daemon's open console sessions, one per domain as libvirt allows: a second {@code virsh console} is refused
 * unless it forces ({@code --force}, flag 0x1), which ends the first. A domain whose engine serves a console socket
 * gets a two-way session ({@link ConsoleSocket}); one whose serial port is only a file (a definition with a
 * {@code file} serial port, or an engine started before console sockets) gets its log followed
 * ({@link ConsoleTail}), keystrokes dropped. Thread-safe.
 */
final class Consoles {
    private static final Logger LOG = LoggerFactory.getLogger(Consoles.class);
    /** virDomainOpenConsole's VIR_DOMAIN_CONSOLE_FORCE. */
    static final int FORCE = 0x1;

    private final Map<UUID, ConsoleSocket> sessions = new ConcurrentHashMap<>();

    /**
     * Opens the console of the running domain {@code d}.
     *
     * @param socket the engine's console socket ({@code STATE/run/NAME.console})
     * @param log    the domain's serial log, followed when there is no socket
     */
    ConsoleStream open(Domain d, Path socket, Path log, int flags, StreamSink sink) {
        synchronized (this) {
            ConsoleSocket old = sessions.get(d.uuid);
            if (old != null && old.open()) {
                if ((flags & FORCE) == 0) {
                    throw LibvirtError.operationFailed("Active console session exists for this domain");
                }
                old.takenOver();
            }
            sessions.remove(d.uuid);
            if (Files.exists(socket)) {
                try {
                    ConsoleSocket c = ConsoleSocket.connect(d.name(), socket, sink);
                    sessions.put(d.uuid, c);
                    return c;
                } catch (IOException e) {
                    LOG.info("console of {}: {} does not answer ({}); following the serial log instead", d.name(),
                            socket, e.getMessage());
                }
            }
        }
        return ConsoleTail.start(d, log, sink);
    }
}
