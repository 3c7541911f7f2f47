package org.jkvm.firmware;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.jkvm.testkit.Require;

/**
 * Benchmark (not a test): the firmware's page-writing speed under QEMU TCG, per workload and rate.
 *
 * <p>Each row boots the bundled image with {@code exit_after=4 hb_ms=500} and reports the pages written per
 * second of guest time between heartbeats 0 and 3, against the requested rate, the TSC frequency the
 * firmware calibrated with the PIT, and the wall time of the whole QEMU run (2 s of guest time plus boot). Run with:
 * <pre>
 * mvn -B -o test-compile -pl bundles/firmware
 * java -cp bundles/firmware/target/classes:bundles/firmware/target/test-classes:bundles/testkit/target/classes \
 *     org.jkvm.firmware.FirmwareBench
 * </pre>
 */
public final class FirmwareBench {
    private FirmwareBench() {
    }

    /**
     * Prints the table.
     *
     * @param args ignored
     */
    public static void main(String[] args) throws Exception {
        Path qemu = Require.which("qemu-system-x86_64");
        if (qemu == null) {
            System.out.println("qemu-system-x86_64 is not installed; nothing to measure");
            return;
        }
        Path dir = Files.createTempDirectory("jkvm-fw-bench");
        Path image = Firmware.extractTo(dir);
        List<String> cases = List.of("workload=idle", "workload=dirty mib=8 rate=1000",
                "workload=dirty mib=8 rate=100000", "workload=dirty mib=32 rate=0",
                "workload=verify mib=8 rate=1000", "workload=verify mib=8 rate=100000",
                "workload=verify mib=32 rate=0");
        System.out.printf("%-36s %12s %14s %8s %10s %10s%n", "command line (QEMU TCG, qemu64, 128 MiB)",
                "rate asked", "pages/s seen", "errors", "tsc_khz", "wall ms");
        for (String c : cases) {
            long t0 = System.nanoTime();
            QemuRun run = QemuRun.boot(qemu, image, dir, c + " exit_after=4 hb_ms=500", 128, "qemu64");
            long wallMs = (System.nanoTime() - t0) / 1_000_000;
            List<String> hbs = run.heartbeats();
            if (hbs.size() < 4) {
                System.out.printf("%-36s failed: %s%n", c, run.lines());
                continue;
            }
            Map<String, String> first = SerialLine.fields(hbs.get(0));
            Map<String, String> last = SerialLine.fields(hbs.get(3));
            double seconds = (SerialLine.number(last, "ms") - SerialLine.number(first, "ms")) / 1000.0;
            double rate = (SerialLine.number(last, "pages") - SerialLine.number(first, "pages")) / seconds;
            Map<String, String> head = SerialLine.fields(run.lines().get(0));
            System.out.printf("%-36s %12s %14.0f %8d %10s %10d%n", c, c.contains("idle") ? "-" : head.get("rate"),
                    rate, SerialLine.number(last, "errors"), head.get("tsc_khz"), wallMs);
        }
    }
}
