package org.jkvm.domainxml;

import java.nio.file.Path;

/**
 * Host paths the driver chooses for one running domain.
 *
 * @param qmpSocket     the QMP unix socket the driver talks to ({@code -qmp unix:PATH,server,nowait}), or null
 * @param ptyLog        the file that logs a {@code pty} serial port's output (the engine has no pty)
 * @param pidFile       the engine's pid file, or null
 * @param consoleSocket the unix socket on which the engine serves a {@code pty} serial port as a console (what
 *                      {@code virsh console} types into), or null for an output-only log
 */
public record RuntimePaths(Path qmpSocket, Path ptyLog, Path pidFile, Path consoleSocket) {
    /** Paths without a console socket: a {@code pty} serial port only logs its output. */
    public RuntimePaths(Path qmpSocket, Path ptyLog, Path pidFile) {
        this(qmpSocket, ptyLog, pidFile, null);
    }

    /**
     * The usual layout under a per-domain run folder: {@code NAME.qmp}, {@code NAME.serial.log}, {@code NAME.pid},
     * {@code NAME.console}.
     */
    public static RuntimePaths under(Path runDir, String domainName) {
        return new RuntimePaths(runDir.resolve(domainName + ".qmp"), runDir.resolve(domainName + ".serial.log"),
                runDir.resolve(domainName + ".pid"), runDir.resolve(domainName + ".console"));
    }
}
