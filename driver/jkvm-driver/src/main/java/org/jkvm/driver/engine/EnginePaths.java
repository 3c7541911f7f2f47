package org.jkvm.driver.engine;

import java.nio.file.Path;

/**
 * The files of one engine process, all under the daemon's state folder.
 *
 * @param qmp     the QMP unix socket ({@code STATE/run/NAME.qmp})
 * @param pidfile the engine's pid file ({@code STATE/run/NAME.pid})
 * @param serial  the serial output file ({@code STATE/log/NAME.serial}), kept after the engine ends
 * @param log     the engine's stdout and stderr ({@code STATE/log/NAME.log})
 * @param console the unix socket on which the engine serves COM1 as a console ({@code STATE/run/NAME.console})
 */
public record EnginePaths(Path qmp, Path pidfile, Path serial, Path log, Path console) {
    /** The standard layout for a domain name under a state folder. */
    public static EnginePaths of(Path stateDir, String name) {
        Path run = stateDir.resolve("run");
        Path logs = stateDir.resolve("log");
        return new EnginePaths(run.resolve(name + ".qmp"), run.resolve(name + ".pid"),
                logs.resolve(name + ".serial"), logs.resolve(name + ".log"), run.resolve(name + ".console"));
    }

    /**
     * The engine's {@code -serial} value for COM1: served on {@link #console} ({@code virsh console} types into
     * the guest through it) and logged to {@link #serial}, appended to, one log per domain across engines.
     */
    public String serialBackend() {
        return "unix:" + console + ",server,nowait,logfile=" + serial + ",logappend=on";
    }
}
