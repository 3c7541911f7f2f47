package org.jkvm.features;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.jkvm.testkit.Await;
import org.jkvm.testkit.RepoPaths;

/**
 * Issue 6's figure: what the libvirt path (virsh, two daemons, Begin/Prepare/Perform/Finish/Confirm) adds to the
 * engine's own live migration, for a 256 MiB guest, both ways, for several rounds. "virsh wall" is the whole
 * {@code virsh migrate} command (virsh's own start and connections included); "engine total" and "downtime" are
 * the engine's own figures ({@code domjobinfo --completed}: time elapsed w/o network, total downtime); "overhead"
 * is the difference: mostly the destination engine's start inside Prepare, then Finish and Confirm. "Guest gap"
 * is what the guest saw: the time between the last heartbeat the source printed and the first the destination
 * printed, from their TSC stamps (heartbeats every 10 ms, so the gap is the real downtime plus up to 10 ms); it
 * shows whether the libvirt path adds to the engines' downtime. Needs
 * /dev/kvm and virsh. Run: {@code bin/jkvm-bench MigrationOverhead [ROUNDS]} (default 3; a round is A to B and
 * back). {@code -Djkvm.engine.spare=false} runs the daemons without their spare engine (every destination engine
 * then starts inside Prepare), for comparison. The engine's class-data-sharing archive (see {@code bin/jkvm-engine}) is
 * made from an earlier engine run's class list, so the very first run on a fresh build is slower; run twice to see the
 * steady state.
 */
public final class MigrationOverheadBench {
    private MigrationOverheadBench() {
    }

    public static void main(String[] args) throws Exception {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 3;
        Path dir = Files.createTempDirectory("jkvm-migbench");
        String engine = RepoPaths.of("bin", "jkvm-engine").toString();
        try (Daemon a = new Daemon(dir.resolve("a"), engine, 49440, "127.0.0.2");
             Daemon b = new Daemon(dir.resolve("b"), engine, 49450, "127.0.0.3")) {
            Path f = dir.resolve("big.xml");
            Files.writeString(f, Guest.xml("big", "workload=dirty mib=16 rate=500 hb_ms=10")
                    .replace("<memory unit='MiB'>32</memory>", "<memory unit='MiB'>256</memory>"));
            Virsh.run(a.tcpUri(), "define", f.toString()).ok();
            Virsh.run(a.tcpUri(), "start", "big").ok();
            Guest.awaitHeartbeats(a.state.resolve("log/big.serial"), -1, Duration.ofSeconds(60));
            Matcher khz = Pattern.compile("tsc_khz=(\\d+)")
                    .matcher(Files.readString(a.state.resolve("log/big.serial")));
            tscKhz = khz.find() ? Long.parseLong(khz.group(1)) : 0;
            List<long[]> rows = new ArrayList<>();
            List<String> ways = new ArrayList<>();
            for (int i = 0; i < rounds; i++) {
                ways.add("A -> B");
                rows.add(run(a, b));
                ways.add("B -> A");
                rows.add(run(b, a));
            }
            System.out.printf("%-8s %14s %14s %14s %12s %14s%n", "way", "virsh wall ms", "engine tot ms",
                    "overhead ms", "downtime ms", "guest gap ms");
            for (int i = 0; i < rows.size(); i++) {
                long[] r = rows.get(i);
                System.out.printf("%-8s %14d %14d %14d %12d %14d%n", ways.get(i), r[0], r[1], r[0] - r[1], r[2], r[3]);
            }
            System.out.printf("%-8s %14d %14d %14d %12d %14d%n", "median", median(rows, 0), median(rows, 1),
                    medianOverhead(rows), median(rows, 2), median(rows, 3));
            Virsh.run(a.tcpUri(), "destroy", "big");
        }
    }

    private static long tscKhz;

    /** One migration: {virsh wall ms, engine total ms, downtime ms, guest gap ms}. */
    private static long[] run(Daemon from, Daemon to) throws Exception {
        long t0 = System.nanoTime();
        Virsh.run(from.tcpUri(), "migrate", "--live", "--persistent", "big", to.tcpUri()).ok();
        long wallMs = (System.nanoTime() - t0) / 1_000_000;
        String info = Virsh.run(from.tcpUri(), "domjobinfo", "--completed", "big").ok();
        Path dst = to.state.resolve("log/big.serial");
        long last = tsc(from.state.resolve("log/big.serial"), true);
        long first = Await.value("the guest's first heartbeat on the destination", () -> tsc(dst, false),
                t -> t > 0);
        long gap = tscKhz > 0 && last > 0 && first > 0 ? (first - last) / tscKhz : -1;
        return new long[] {wallMs, field(info, "Time elapsed w/o network:"), field(info, "Total downtime:"), gap};
    }

    /** The TSC stamp of the last (or first) complete heartbeat line of a serial log, or -1. */
    private static long tsc(Path serial, boolean last) throws java.io.IOException {
        long found = -1;
        for (String l : Files.readAllLines(serial, java.nio.charset.StandardCharsets.ISO_8859_1)) {
            Matcher m = HB_TSC.matcher(l);
            if (m.find()) {
                found = Long.parseLong(m.group(1));
                if (!last) {
                    return found;
                }
            }
        }
        return found;
    }

    private static final Pattern HB_TSC = Pattern.compile("^hb seq=\\d+ .* tsc=(\\d+) .*verify_bad=");

    private static long median(List<long[]> rows, int column) {
        return rows.stream().mapToLong(r -> r[column]).sorted().skip(rows.size() / 2).findFirst().orElse(-1);
    }

    private static long medianOverhead(List<long[]> rows) {
        return rows.stream().mapToLong(r -> r[0] - r[1]).sorted().skip(rows.size() / 2).findFirst().orElse(-1);
    }

    private static long field(String info, String name) {
        Matcher m = Pattern.compile(Pattern.quote(name) + "\\s+(\\d+)").matcher(info);
        return m.find() ? Long.parseLong(m.group(1)) : -1;
    }
}
