package org.jkvm.monitor;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.jkvm.testkit.RepoPaths;

/**
 * Issue 11's benchmark: jkvm's software CPU ({@code -accel tcg}) beside QEMU TCG ({@code qemu-system-x86_64 -accel
 * tcg}) on the same firmware with the same {@code -append}, in one run:
 * <ol>
 *   <li>guest instructions per second in a compute loop: the firmware's {@code workload=compute} runs a fixed block of
 *       16 instructions and reports the rounds done in each heartbeat ({@code work=}), so the rate is
 *       {@code 16 x d(work) / d(guest seconds)}, measured between the 2nd and the last heartbeat (the first seconds
 *       include start-up and, for jkvm, the JIT compiling the interpreter);</li>
 *   <li>the verify workload's pages per second at {@code rate=0} (writes plus the checker's reads, from
 *       {@code pages=} in the heartbeats);</li>
 *   <li>an idle and a dirtying 256 MiB live migration on both (total time, downtime, bytes), through
 *       {@link MigrationVsQemuBench} with its jkvm engines on {@code -accel tcg}.</li>
 * </ol>
 * Guest time is the TSC, which both count at the host's rate, so the rates are per second of host time while the
 * guest runs. With {@code /dev/kvm} present a row for jkvm on KVM is added to parts 1 and 2 (for scale: on this
 * host's nested kvm_pvm every exit is emulated, so KVM is no fast path here).
 *
 * <p>Run: {@code bin/jkvm-bench SoftCpu} ({@code -Dseconds=N} guest seconds per rate run, default 8;
 * {@code -Druns=N} repeats the rate rows and reports each median; {@code -Dmigration=false} skips part 3;
 * {@code -Dqemu=false} leaves QEMU out).
 */
public final class SoftCpuBench {
    private static final int COMPUTE_INSNS = 16;
    private static final Pattern HB = Pattern.compile("^hb seq=(\\d+) ms=(\\d+) pages=(\\d+) .*?(?: work=(\\d+))?$",
            Pattern.MULTILINE);

    private SoftCpuBench() {
    }

    /** One rate measurement: the quantity per guest second, over {@code ms} guest milliseconds. */
    record Rate(String who, String what, double perSecond, long ms) {
    }

    public static void main(String[] args) throws Exception {
        int seconds = Integer.getInteger("seconds", 8);
        int runs = Integer.getInteger("runs", 1);
        boolean qemu = Files.isExecutable(Path.of("/usr/bin/qemu-system-x86_64"))
                && !"false".equals(System.getProperty("qemu"));
        boolean kvm = org.jkvm.testkit.Require.kvmAvailable();
        List<String> who = new ArrayList<>(List.of("jkvm-tcg"));
        if (qemu) {
            who.add("qemu-tcg");
        }
        if (kvm) {
            who.add("jkvm-kvm");
        }
        List<Rate> rates = new ArrayList<>();
        for (String w : who) {
            rates.add(median(w, "compute", seconds, runs));
            rates.add(median(w, "verify", seconds, runs));
        }
        printRates(rates);
        if (!"false".equals(System.getProperty("migration"))) {
            System.out.println();
            System.out.println("live migration of a 256 MiB guest, jkvm on -accel tcg beside QEMU TCG "
                    + "(MigrationVsQemuBench, loads idle and dirty):");
            System.setProperty("accel", "tcg");
            System.setProperty("loads", System.getProperty("loads", "idle,dirty"));
            MigrationVsQemuBench.main(new String[] {"256"});
        }
    }

    private static Rate median(String who, String what, int seconds, int runs) throws Exception {
        List<Rate> all = new ArrayList<>();
        for (int i = 0; i < runs; i++) {
            all.add(measure(who, what, seconds));
        }
        all.sort(java.util.Comparator.comparingDouble(Rate::perSecond));
        return all.get(all.size() / 2);
    }

    /** Runs one guest for {@code seconds} guest seconds of heartbeats and reads its rate off them. */
    static Rate measure(String who, String what, int seconds) throws Exception {
        Path dir = Files.createTempDirectory("jkvm-softcpu-bench");
        Path serial = dir.resolve("serial");
        int hbMs = 500;
        String append = (what.equals("compute") ? "workload=compute" : "workload=verify mib=64 rate=0")
                + " hb_ms=" + hbMs + " exit_after=" + (seconds * 1000 / hbMs + 2);
        Process p = start(who, dir, serial, append);
        try {
            if (!p.waitFor(seconds * 60L + 120, TimeUnit.SECONDS)) {
                throw new IOException(who + " did not finish " + append + " in time; see " + dir);
            }
            List<long[]> hbs = heartbeats(Files.readString(serial));
            if (hbs.size() < 3) {
                throw new IOException(who + " printed " + hbs.size() + " heartbeats for " + append + "; see " + dir);
            }
            long[] a = hbs.get(1);
            long[] b = hbs.get(hbs.size() - 1);
            long ms = b[1] - a[1];
            double perSecond = what.equals("compute")
                    ? (b[3] - a[3]) * (double) COMPUTE_INSNS * 1000.0 / ms
                    : (b[2] - a[2]) * 1000.0 / ms;
            return new Rate(who, what, perSecond, ms);
        } finally {
            p.destroyForcibly();
            p.waitFor(10, TimeUnit.SECONDS);
        }
    }

    /** Heartbeats as {seq, ms, pages, work}. */
    static List<long[]> heartbeats(String serial) {
        List<long[]> out = new ArrayList<>();
        Matcher m = HB.matcher(serial);
        while (m.find()) {
            out.add(new long[] {Long.parseLong(m.group(1)), Long.parseLong(m.group(2)), Long.parseLong(m.group(3)),
                m.group(4) == null ? 0 : Long.parseLong(m.group(4))});
        }
        return out;
    }

    private static Process start(String who, Path dir, Path serial, String append) throws IOException {
        Path fw = RepoPaths.root().resolve("src/firmware/jkvm-fw.elf");
        List<String> cmd = new ArrayList<>();
        if (who.equals("qemu-tcg")) {
            cmd.addAll(List.of("qemu-system-x86_64", "-accel", "tcg", "-machine", "pc", "-cpu", "qemu64", "-m",
                    "256M", "-kernel", fw.toString(), "-append", append, "-display", "none", "-nodefaults",
                    "-no-user-config", "-serial", "file:" + serial, "-device",
                    "isa-debug-exit,iobase=0xf4,iosize=0x04", "-no-reboot"));
        } else {
            cmd.addAll(List.of(RepoPaths.root().resolve("bin/jkvm-engine").toString(), "-accel",
                    who.equals("jkvm-kvm") ? "kvm" : "tcg", "-cpu", "qemu64", "-m", "256M", "-kernel",
                    fw.toString(), "-append", append, "-serial", "file:" + serial));
        }
        return new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(dir.resolve("out").toFile()).start();
    }

    private static void printRates(List<Rate> rates) {
        System.out.printf(Locale.ROOT, "%-9s %-8s %18s %10s%n", "engine", "workload", "rate", "guest ms");
        for (Rate r : rates) {
            String rate = r.what().equals("compute")
                    ? String.format(Locale.ROOT, "%.1f M insn/s", r.perSecond() / 1e6)
                    : String.format(Locale.ROOT, "%.0f pages/s", r.perSecond());
            System.out.printf(Locale.ROOT, "%-9s %-8s %18s %10d%n", r.who(), r.what(), rate, r.ms());
        }
        for (String what : List.of("compute", "verify")) {
            Rate ours = find(rates, "jkvm-tcg", what);
            Rate theirs = find(rates, "qemu-tcg", what);
            if (ours != null && theirs != null && theirs.perSecond() > 0) {
                System.out.printf(Locale.ROOT, "jkvm-tcg / qemu-tcg, %s: %.2fx%n", what,
                        ours.perSecond() / theirs.perSecond());
            }
        }
    }

    private static Rate find(List<Rate> rates, String who, String what) {
        for (Rate r : rates) {
            if (r.who().equals(who) && r.what().equals(what)) {
                return r;
            }
        }
        return null;
    }
}
