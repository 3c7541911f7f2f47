package org.jkvm.domainxml;

import org.jkvm.domainxml.model.CharSource;
import org.jkvm.domainxml.model.Chardev;

/**
 * Maps a libvirt chardev to the engine's {@code -serial} backend: {@code file} to {@code file:PATH} ({@code
 * ,append=on} with libvirt's {@code append='on'}), {@code pty} (the engine has no pty; the live XML reports the log
 * file) to the driver's console socket with the domain's log file appended to ({@code unix:SOCKET,server,nowait,
 * logfile=LOG,logappend=on}: {@code virsh console} types through the socket, the log keeps all output), or to the
 * log file alone when there is no console socket, {@code unix} with mode {@code bind} to
 * {@code unix:PATH,server,nowait}, {@code null} to {@code null}. Other types are refused.
 */
final class SerialBackend {
    private SerialBackend() {
    }

    /** Why the chardev cannot be COM1 on jkvm, or null when it can. */
    static String problem(Chardev c) {
        String type = c.type == null ? "pty" : c.type;
        CharSource src = c.sources.isEmpty() ? null : c.sources.get(0);
        return switch (type) {
            case "pty", "null" -> null;
            case "file" -> src == null || blank(src.path)
                    ? "a file serial port needs <source path='...'/>; add the log file path" : null;
            case "unix" -> unixProblem(src);
            case "tcp" -> "serial type 'tcp' is not supported by jkvm; use type 'unix' with mode 'bind', 'file' or"
                    + " 'pty'";
            case "stdio" -> "serial type 'stdio' is not supported: the engine runs detached from the daemon; use"
                    + " 'file', 'pty' or 'unix'";
            default -> "serial type '" + type + "' is not supported by jkvm; use 'file', 'pty', 'unix' (mode"
                    + " 'bind') or 'null'";
        };
    }

    private static String unixProblem(CharSource src) {
        if (src == null || blank(src.path)) {
            return "a unix serial port needs <source mode='bind' path='...'/>; add the socket path";
        }
        if (!"bind".equals(src.mode)) {
            return "a unix serial port must listen (mode 'bind'): the engine cannot connect to a socket; set"
                    + " mode='bind'";
        }
        return null;
    }

    /** The {@code -serial} value for COM1 (null chardev: {@code null}). */
    static String engineValue(Chardev c, RuntimePaths paths) {
        if (c == null) {
            return "null";
        }
        String type = c.type == null ? "pty" : c.type;
        CharSource src = c.sources.isEmpty() ? null : c.sources.get(0);
        return switch (type) {
            case "file" -> "file:" + src.path + ("on".equals(src.append) ? ",append=on" : "");
            case "unix" -> "unix:" + src.path + ",server,nowait";
            case "pty" -> ptyValue(paths); // the domain's log: kept across restore and restarts
            default -> "null";
        };
    }

    /** A {@code pty} port: the console socket with the log, or the log alone. */
    static String ptyValue(RuntimePaths paths) {
        if (paths.consoleSocket() == null) {
            return "file:" + paths.ptyLog() + ",append=on";
        }
        return "unix:" + paths.consoleSocket() + ",server,nowait,logfile=" + paths.ptyLog() + ",logappend=on";
    }

    private static boolean blank(String s) {
        return s == null || s.isBlank();
    }
}
