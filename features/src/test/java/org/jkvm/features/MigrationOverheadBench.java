package org.jkvm.features;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.jkvm.testkit.RepoPaths;

/**
 * Issue 6's figure: what the libvirt path (virsh, two daemons, Begin/Prepare/Perform/Finish/Confirm) adds to the
 * engine's own live migration, for a 256 MiB guest, both ways. "virsh wall" is the whole {@code virsh migrate}
 * command; "engine total" and "downtime" are the engine's own figures ({@code domjobinfo --completed}: time
 * elapsed w/o network, total downtime). Needs /dev/kvm and virsh. Run: {@code bin/jkvm-bench MigrationOverhead}.
 */
public final class MigrationOverheadBench {
    private MigrationOverheadBench() {
    }

    public static void main(String[] args) throws Exception {
        Path dir = Files.createTempDirectory("jkvm-migbench");
        String engine = RepoPaths.of("bin", "jkvm-engine").toString();
        try (Daemon a = new Daemon(dir.resolve("a"), engine, 49440, "127.0.0.2");
             Daemon b = new Daemon(dir.resolve("b"), engine, 49450, "127.0.0.3")) {
            Path f = dir.resolve("big.xml");
            Files.writeString(f, Guest.xml("big", "workload=dirty mib=16 rate=500 hb_ms=200")
                    .replace("<memory unit='MiB'>32</memory>", "<memory unit='MiB'>256</memory>"));
            Virsh.run(a.tcpUri(), "define", f.toString()).ok();
            Virsh.run(a.tcpUri(), "start", "big").ok();
            Guest.awaitHeartbeats(a.state.resolve("log/big.serial"), -1, Duration.ofSeconds(60));
            System.out.printf("%-8s %14s %14s %14s %12s%n", "way", "virsh wall ms", "engine tot ms", "overhead ms",
                    "downtime ms");
            run("A -> B", a, b);
            run("B -> A", b, a);
            Virsh.run(a.tcpUri(), "destroy", "big");
        }
    }

    private static void run(String way, Daemon from, Daemon to) {
        long t0 = System.nanoTime();
        Virsh.run(from.tcpUri(), "migrate", "--live", "--persistent", "big", to.tcpUri()).ok();
        long wallMs = (System.nanoTime() - t0) / 1_000_000;
        String info = Virsh.run(from.tcpUri(), "domjobinfo", "--completed", "big").ok();
        long engineMs = field(info, "Time elapsed w/o network:");
        long downtime = field(info, "Total downtime:");
        System.out.printf("%-8s %14d %14d %14d %12d%n", way, wallMs, engineMs, wallMs - engineMs, downtime);
    }

    private static long field(String info, String name) {
        Matcher m = Pattern.compile(Pattern.quote(name) + "\\s+(\\d+)").matcher(info);
        return m.find() ? Long.parseLong(m.group(1)) : -1;
    }
}
