package org.jkvm.domainxml;

import java.nio.file.Path;

/**
 * Host paths the driver chooses for one running domain.
 *
 * @param qmpSocket the QMP unix socket the driver talks to ({@code -qmp unix:PATH,server,nowait}), or null
 * @param ptyLog    the file that stands in for a {@code pty} serial port (the engine has no pty)
 * @param pidFile   the engine's pid file, or null
 */
public record RuntimePaths(Path qmpSocket, Path ptyLog, Path pidFile) {
    /** The usual layout under a per-domain run folder: {@code NAME.qmp}, {@code NAME.serial.log}, {@code NAME.pid}. */
    public static RuntimePaths under(Path runDir, String domainName) {
        return new RuntimePaths(runDir.resolve(domainName + ".qmp"), runDir.resolve(domainName + ".serial.log"),
                runDir.resolve(domainName + ".pid"));
    }
}
