package org.jkvm.driver.engine;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalLong;

/**
 * When a process started, in clock ticks after the host's boot: field 22 ({@code starttime}) of
 * {@code /proc/PID/stat} (proc(5)). A pid and this value name one process for as long as the host runs; unlike
 * {@link ProcessHandle.Info#startInstant()}, which adds the boot time that {@code /proc/stat}'s {@code btime}
 * reports, it does not move when the wall clock is stepped or slewed, so two daemons that read it hours apart
 * agree. Linux only; elsewhere nothing is known.
 */
public final class ProcessStart {
    private ProcessStart() {
    }

    /**
     * @param pid a process id
     * @return its start time in clock ticks after boot, or empty when the process is gone or /proc cannot say
     */
    public static OptionalLong ticks(long pid) {
        String stat;
        try {
            stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"), StandardCharsets.US_ASCII);
        } catch (IOException e) {
            return OptionalLong.empty();
        }
        return parse(stat);
    }

    /**
     * Reads {@code starttime} from one {@code /proc/PID/stat} line. The command name (field 2) is in parentheses and
     * may itself hold spaces and parentheses, so the fields are counted after the last ')'.
     */
    static OptionalLong parse(String stat) {
        int close = stat.lastIndexOf(')');
        if (close < 0) {
            return OptionalLong.empty();
        }
        String[] f = stat.substring(close + 1).trim().split(" +");
        // f[0] is field 3 (state), so field 22 is f[19].
        if (f.length < 20) {
            return OptionalLong.empty();
        }
        try {
            return OptionalLong.of(Long.parseLong(f[19]));
        } catch (NumberFormatException e) {
            return OptionalLong.empty();
        }
    }
}
