package org.jkvm.migration.stream;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The CPU time (user and system) and minor page faults of the calling thread, from {@code /proc/thread-self/stat}
 * (10 ms ticks), so a migration's log line can say what its own thread cost: the receive loop's system time is
 * mostly page faults. Zeros where /proc is unavailable.
 *
 * @param userMs   user CPU, milliseconds
 * @param systemMs system CPU, milliseconds
 * @param faults   minor page faults
 */
public record ThreadCost(long userMs, long systemMs, long faults) {
    private static final Path STAT = Path.of("/proc/thread-self/stat");

    /** The calling thread's totals so far. */
    public static ThreadCost now() {
        try {
            String s = Files.readString(STAT);
            String[] f = s.substring(s.lastIndexOf(')') + 2).split(" ");
            // Fields counted from "state" (field 3): minflt is field 10, utime 14, stime 15; ticks are 10 ms.
            return new ThreadCost(Long.parseLong(f[11]) * 10, Long.parseLong(f[12]) * 10, Long.parseLong(f[7]));
        } catch (IOException | RuntimeException e) {
            return new ThreadCost(0, 0, 0);
        }
    }

    /** What the calling thread spent since {@code start}, as "cpu N ms (sys M), K faults". */
    public static String since(ThreadCost start) {
        ThreadCost end = now();
        long user = end.userMs - start.userMs;
        long sys = end.systemMs - start.systemMs;
        return "cpu " + (user + sys) + " ms (sys " + sys + "), " + (end.faults - start.faults) + " faults";
    }
}
