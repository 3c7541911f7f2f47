package org.jkvm.monitor;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.jkvm.testkit.Await;
import org.jkvm.testkit.RepoPaths;
import org.jkvm.testkit.TapLab;
import org.jkvm.testkit.UdpStream;

/**
 * Issue 15 acceptance 4 (a benchmark, not a test): UDP echo through the guest, jkvm beside QEMU TCG with the same
 * tap setup ({@link TapLab}: tap, bridge, client namespace) and the same guest (the bundled firmware's network
 * stack, {@code ip=10.77.0.2/24}, no workload); the engines start as users start them, through
 * {@code bin/jkvm-engine}. Per engine, with the C client ({@code src/netclient/udpecho.c}, built with gcc; the
 * default): the round trip (median, 99th percentile) and the echo rate with one datagram in flight, the capacity (a
 * closed loop with 32 in flight: nothing is lost and the guest always has work) and the echo rate and loss at each
 * offered rate of {@code -Drates} (open loop: below, at and above capacity, and a flood); with {@code -Dclient=java}
 * as before it: the median round trip of one datagram at a time ({@code NetProbe}, 200 datagrams) and the echoes per
 * second of a paced stream ({@link UdpStream}: 2000 datagrams offered at 1 per ms, then 2000 back to back) with the
 * share lost. The announcement's effect on a live migration is measured by {@code NetMigrationTest} (it prints its
 * figures). Run: {@code bin/jkvm-bench Net} ({@code -Dqemu=false}, {@code -Dkvm=false} leave engines out,
 * {@code -Dengines=a,b} names them; {@code -Dtrace=true} prints where jkvm's round trips go,
 * {@link org.jkvm.devices.virtio.net.NetTrace}; {@code -Dab=true} adds jkvm with transmit on its I/O thread,
 * {@code -Drounds=N} repeats the engines interleaved, {@code -Dwarmup=N}, {@code -Dstreams=false},
 * {@code -Dpaced=false}, {@code -Dverbose=true} prints each stream's line; {@code -Dengineopts=...} adds JVM options
 * to jkvm's engines; {@code -Dburstwarmup=N}, {@code -Daltfw=PATH}, {@code -Dclient}, {@code -Drates} and
 * {@code -Dseconds}, see their fields).
 */
public final class NetBench {
    /** {@code -Dtrace=true}: the engines run with {@code jkvm.net.trace} and the stage medians are printed. */
    private static final boolean TRACE = Boolean.getBoolean("trace");
    /**
     * {@code -Dab=true}: also jkvm-tcg with every transmit on its I/O thread ({@code jkvm.net.inline-tx=false});
     * {@code -Dab=burst-inline}: also jkvm-tcg serving a burst's transmit kicks inline too
     * ({@code jkvm.net.burst-tx=inline}, the behaviour before bursts went to the I/O thread); {@code -Dab=opts}:
     * also jkvm-tcg-abopts, run with the JVM options of {@code -Dabopts=...} added (an engine switch's A/B).
     */
    private static final String AB = System.getProperty("ab", "false");
    /** {@code -Dstreams=false}: the RTT only. */
    private static final boolean STREAMS = !"false".equals(System.getProperty("streams"));
    /** {@code -Dpaced=false}: no paced stream (the RTT and the back-to-back stream only). */
    private static final boolean PACED = !"false".equals(System.getProperty("paced"));
    /** {@code -Dverbose=true}: prints each stream's own line (lost runs, the time to its last echo). */
    private static final boolean VERBOSE = Boolean.getBoolean("verbose");
    /** {@code -Dwarmup=N}: datagrams echoed one at a time before the RTT is measured (default 2000). */
    private static final int WARMUP = Integer.getInteger("warmup", 2000);
    /**
     * {@code -Dburstwarmup=N}: back-to-back streams of N datagrams, not measured, before the streams (default 2000,
     * 0 for none; repeated as {@link #warmUpBursts} says): jkvm's burst paths (the transmit drain on the I/O thread,
     * a frame kept for want of a receive buffer) are then compiled by the JIT, as in a NIC that has been busy,
     * instead of being compiled during the measured burst on the same two cores. Every engine gets it.
     */
    private static final int BURST_WARMUP = Integer.getInteger("burstwarmup", 2000);
    /**
     * With the C client the warm-up bursts are closed-loop streams of {@code -Dburstwarmup=N} datagrams (default
     * 20,000), 32 in flight: every datagram is echoed, so the guest's per-frame code runs as often as in the measured
     * streams. jkvm's software CPU translates a block after 1,000,000 instructions run interpreted: the firmware's
     * per-frame blocks (~900 instructions a frame, in blocks of 2-38) need 25,000-500,000 frames, and the JIT then
     * compiles their classes; flood bursts of 2,000 (of which the tap's queue dropped a third) left that to the
     * measured streams (C2 100-400 ms during a 10,000-datagram stream, measured).
     */
    private static final int C_BURST_WARMUP = Integer.getInteger("burstwarmup", 20000);
    /**
     * Each C warm-up burst ends with a flood of this many datagrams: the overload paths (a frame kept for want of a
     * receive buffer, long transmit drains) are then compiled too. Without it the open-loop streams deoptimized and
     * recompiled them (C2 compiles of 120-480 ms of the notify and receive paths during a measured 20,000/s stream,
     * JFR), and one such stream lost 34% of its datagrams to a 325 ms stall.
     */
    private static final int C_FLOOD_WARMUP = 2000;
    /**
     * {@code -Dburstwarmups=N}: at most N warm-up bursts (default 5; 10 with the C client, whose 20,000-datagram
     * bursts jkvm needed 5-7 of before one left the JIT under 50 ms, measured), see {@link #warmUpBursts}.
     */
    private static final int BURST_WARMUPS = Integer.getInteger("burstwarmups", cClientDefault() ? 10 : 5);
    /** JIT compiler CPU during a warm-up burst under which the engine counts as warmed up (ms). */
    private static final long JIT_SETTLED_MS = 50;
    /**
     * {@code -Daltfw=PATH}: every engine runs a second time with that firmware image instead of the bundled one
     * (engine names get {@code -altfw}), interleaved in the same run: a firmware change's before and after under the
     * same load.
     */
    private static final String ALT_FW = System.getProperty("altfw", "");
    /**
     * {@code -Dawaitwarmup=false}: measure while the engine's start-up migration warm-up may still run. By default
     * the bench waits for it to end (its thread gone, at most {@link Await#PATIENCE}): its scratch migrations are
     * compiled by the JIT threads at normal priority, whose CPU (100-450 ms during a 2,000-frame burst, measured)
     * came from the client and the vCPU on two cores: a start-up cost, not the NIC's steady state.
     */
    private static final boolean AWAIT_WARMUP = !"false".equals(System.getProperty("awaitwarmup"));
    private static final Path FIRMWARE = RepoPaths.root().resolve("src/firmware/jkvm-fw.elf");
    /**
     * {@code -Dclient=java}: the streams are sent by {@link UdpStream} (a fresh JVM) instead of the C client
     * {@code src/netclient/udpecho.c}, built here with gcc (the default when gcc is there). The JVM client was near
     * its own limit: on the loaded 2-core host it sent a "back to back" stream of 2000 datagrams at 10-20k/s and
     * competed with the engine for the CPU while it warmed up, so the figure depended on the client.
     */
    private static final String CLIENT = System.getProperty("client", "c");
    /**
     * {@code -Drates=R1,R2,...}: the offered rates (datagrams per second, open loop: the client does not wait for
     * the echoes) of the measured streams, each {@link #STREAM_SECONDS} long (at least 2000 datagrams); 0 is a flood
     * (as fast as the client's socket takes them); -N a closed loop with N datagrams in flight (the client sends the
     * next one when one came back: the guest always has a backlog and nothing is lost at the tap's queue, so the
     * echo rate is the engine's capacity at the host's load). The C client only; defaults: the capacity, then
     * offered rates below, at and above both engines' capacity (10k/s each, roughly, measured).
     */
    private static final String RATES = System.getProperty("rates", "-32,2000,5000,10000,20000,0");
    /** {@code -Dseconds=S}: each offered-rate stream's length (default 1 s). */
    private static final double STREAM_SECONDS = Double.parseDouble(System.getProperty("seconds", "1"));
    private static boolean cClientDefault() {
        return !"java".equals(System.getProperty("client", "c"));
    }

    /** The C client, built once per run (null: the JVM client). */
    private static Path cClient;

    private NetBench() {
    }

    /** Entry point; prints one row per engine. */
    public static void main(String[] args) throws Exception {
        List<String> engines = new ArrayList<>(List.of("jkvm-tcg"));
        if (AB.equals("true")) {
            engines.add("jkvm-tcg-iothread");
        } else if (AB.equals("burst-inline")) {
            engines.add("jkvm-tcg-burst-inline");
        } else if (AB.equals("opts")) {
            engines.add("jkvm-tcg-abopts");
        }
        if (Files.isWritable(Path.of("/dev/kvm")) && !"false".equals(System.getProperty("kvm"))) {
            engines.add("jkvm-kvm");
        }
        if (Files.isExecutable(Path.of("/usr/bin/qemu-system-x86_64")) && !"false".equals(System.getProperty("qemu"))) {
            engines.add("qemu-tcg");
        }
        if (System.getProperty("engines") != null) {
            engines = List.of(System.getProperty("engines").split(","));
        }
        if (!ALT_FW.isEmpty()) {
            List<String> both = new ArrayList<>();
            engines.forEach(e -> both.addAll(List.of(e, e + "-altfw")));
            engines = both;
        }
        cClient = "java".equals(CLIENT) ? null : buildClient();
        List<Integer> rates = new ArrayList<>();
        for (String r : RATES.split(",")) {
            rates.add(Integer.parseInt(r.strip()));
        }
        printHeader(rates);
        List<String> traces = new ArrayList<>();
        List<String> runs = new ArrayList<>();
        for (int r = 0; r < Integer.getInteger("rounds", 1); r++) {
            runs.addAll(engines); // interleaved: the host's load drifts, each round sees every engine
        }
        for (String e : runs) {
            Path dir = Files.createTempDirectory("jkvm-netbench");
            try (TapLab lab = TapLab.create()) {
                Process p = start(e, lab, dir);
                try {
                    Await.until("the guest's network line", () -> Files.exists(dir.resolve("serial.log"))
                            && Files.readString(dir.resolve("serial.log"), StandardCharsets.ISO_8859_1)
                            .contains("net mac="));
                    if (AWAIT_WARMUP && !e.startsWith("qemu")) {
                        long t0 = System.nanoTime();
                        Await.until("the engine's migration warm-up to end",
                                () -> !hasThread(p.pid(), "migration-warm"));
                        if (VERBOSE) {
                            System.out.println("  the engine's migration warm-up ended "
                                    + (System.nanoTime() - t0) / 1_000_000 + " ms after the guest's network line");
                        }
                    }
                    if (cClient != null) {
                        measureRates(e, lab, p.pid(), rates, traces, dir);
                        continue;
                    }
                    lab.probe("10.77.0.2", 0, WARMUP, 0); // steady state: JIT-compiled paths, as a busy NIC runs
                    long rtt = lab.probe("10.77.0.2", 0, 200, 0).get("udp_rtt_us_median");
                    String trace = TRACE && !e.startsWith("qemu") ? trace(dir) : "";
                    String paced = STREAMS && PACED ? rate(lab, 2000, 1) : "-";
                    if (STREAMS && BURST_WARMUP > 0) {
                        warmUpBursts(lab, p.pid());
                    }
                    java.util.Map<String, Long> cpu = VERBOSE ? threadCpu(p.pid()) : java.util.Map.of();
                    java.util.Map<String, long[]> sched = VERBOSE ? threadSched(p.pid()) : java.util.Map.of();
                    long[] tap = tapCounters(lab);
                    String burst = STREAMS ? rate(lab, 2000, 0) : "-";
                    if (VERBOSE) {
                        System.out.println("  back to back, CPU ms per thread: " + cpuDelta(cpu, threadCpu(p.pid())));
                        System.out.println("  back to back, per thread: run ms / runqueue wait ms / voluntary"
                                + " switches / involuntary switches: " + schedDelta(sched, threadSched(p.pid())));
                        long[] after = tapCounters(lab);
                        System.out.println("  back to back, the tap: frames queued to the engine "
                                + (after[0] - tap[0]) + ", dropped at its queue " + (after[1] - tap[1])
                                + ", written by the engine " + (after[2] - tap[2]));
                    }
                    System.out.println("| " + e + " | " + rtt + " | " + paced + " | " + burst + " |");
                    if (!trace.isEmpty()) {
                        traces.add(e + " " + trace);
                        traces.add(e + " after the streams: " + trace(dir).replaceAll(".* tx_inline=", "tx_inline="));
                    }
                } finally {
                    stop(p);
                }
            }
        }
        traces.forEach(System.out::println);
    }

    private static void printHeader(List<Integer> rates) {
        if (cClient == null) {
            System.out.println("| engine | UDP echo RTT median (us, 1 in flight) | paced 1000/s: echoed/s, lost |"
                    + " back to back: echoed/s, lost |");
            System.out.println("|---|---|---|---|");
            return;
        }
        StringBuilder h = new StringBuilder("| engine | RTT median / p99 (us, 1 in flight) | 1 in flight: echoed/s |");
        StringBuilder l = new StringBuilder("|---|---|---|");
        rates.forEach(r -> {
            h.append(r == 0 ? " flood" : r < 0 ? " " + -r + " in flight" : " offered " + r + "/s")
                    .append(": echoed/s, lost |");
            l.append("---|");
        });
        System.out.println(h);
        System.out.println(l);
    }

    /**
     * The C client's row: a closed-loop warm-up (one datagram in flight), the warm-up bursts, a measurement with one
     * datagram in flight (the round trip and the rate it allows), then one stream per entry of {@code -Drates};
     * {@code -Dverbose} prints each stream's line and the engine's CPU per thread during it.
     */
    private static void measureRates(String e, TapLab lab, long pid, List<Integer> rates, List<String> traces,
            Path dir) throws IOException, InterruptedException {
        stream(lab, WARMUP, -1); // steady state: JIT-compiled paths, as a busy NIC runs
        if (STREAMS && C_BURST_WARMUP > 0) {
            warmUpBursts(lab, pid);
        }
        java.util.Map<String, Long> one = stream(lab, 2000, -1);
        String trace = TRACE && !e.startsWith("qemu") ? trace(dir) : "";
        StringBuilder row = new StringBuilder("| " + e + " | " + one.get("rtt_us_median") + " / "
                + one.get("rtt_us_p99") + " | " + perSecond(one) + " |");
        for (int r : STREAMS ? rates : List.<Integer>of()) {
            int count = (int) Math.max(2000, Math.round((r < 0 ? 10000 : r == 0 ? 20000 : r) * STREAM_SECONDS));
            java.util.Map<String, Long> cpu = VERBOSE ? threadCpu(pid) : java.util.Map.of();
            long[] tap = tapCounters(lab);
            java.util.Map<String, Long> s = stream(lab, count, r);
            if (VERBOSE) {
                long[] after = tapCounters(lab);
                System.out.println("    CPU ms per thread: " + cpuDelta(cpu, threadCpu(pid)) + "; the tap: queued to"
                        + " the engine " + (after[0] - tap[0]) + ", dropped at its queue " + (after[1] - tap[1])
                        + ", written by the engine " + (after[2] - tap[2]));
            }
            if (VERBOSE && TRACE && !e.startsWith("qemu")) {
                System.out.println("    trace counters so far: "
                        + trace(dir).replaceAll(".* tx_inline=", "tx_inline="));
            }
            String lost = String.format(java.util.Locale.ROOT, "%.1f", s.get("lost") * 100.0 / count);
            row.append(' ').append(perSecond(s)).append(", ").append(lost).append("% lost |");
        }
        System.out.println(row);
        if (!trace.isEmpty()) {
            traces.add(e + " " + trace);
            traces.add(e + " after the streams: " + trace(dir).replaceAll(".* tx_inline=", "tx_inline="));
        }
    }

    private static String perSecond(java.util.Map<String, Long> s) {
        return Math.round(s.get("echoed") * 1000.0 / Math.max(s.get("echo_ms"), 1)) + "/s";
    }

    /** Builds {@code src/netclient/udpecho.c} with gcc into the monitor's target; null (JVM client) without gcc. */
    private static Path buildClient() throws IOException, InterruptedException {
        Path src = RepoPaths.root().resolve("src/netclient/udpecho.c");
        Path out = RepoPaths.root().resolve("bundles/monitor/target/udpecho");
        Process p = new ProcessBuilder("gcc", "-O2", "-pthread", "-o", out.toString(), src.toString())
                .redirectErrorStream(true).start();
        String msg = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (p.waitFor() != 0) {
            System.out.println("the C client did not build (" + msg.strip() + "); the JVM client sends the streams");
            return null;
        }
        return out;
    }

    /**
     * Runs the C client in the lab's namespace: {@code count} datagrams at {@code rate}/s (0: a flood, -N: closed
     * loop, N in flight); its result line's fields.
     */
    private static java.util.Map<String, Long> stream(TapLab lab, int count, int rate)
            throws IOException, InterruptedException {
        List<String> cmd = List.of("ip", "netns", "exec", lab.namespace(), cClient.toString(), "10.77.0.2",
                Integer.toString(count), Integer.toString(rate));
        long tapDrops = tapDropped(lab);
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        p.waitFor();
        String line = out.lines().filter(l -> l.startsWith("stream ")).findFirst()
                .orElseThrow(() -> new IOException("the C client printed no result line: " + out));
        if (VERBOSE) {
            String what = rate < 0 ? -rate + " in flight" : rate == 0 ? "flood" : "offered " + rate + "/s";
            System.out.println("  " + what + ": " + line + " | dropped by the tap's queue "
                    + (tapDropped(lab) - tapDrops));
        }
        java.util.Map<String, Long> f = new java.util.HashMap<>();
        for (String w : line.substring(7).split(" ")) {
            String[] kv = w.split("=", 2);
            f.put(kv[0], Long.parseLong(kv[1]));
        }
        return f;
    }

    /**
     * Ends an engine and what it started: bin/jkvm-engine's JVM may be a child of the script, which a bench that
     * failed left spinning a core. Each gets 10 s for its shutdown hooks (a profile being written).
     */
    private static void stop(Process p) throws InterruptedException {
        List<ProcessHandle> tree = new ArrayList<>(p.descendants().toList());
        p.destroy();
        tree.forEach(ProcessHandle::destroy);
        if (!p.waitFor(10, TimeUnit.SECONDS)) {
            p.destroyForcibly().waitFor();
        }
        for (ProcessHandle h : tree) {
            if (h.onExit().completeOnTimeout(h, 10, TimeUnit.SECONDS).join().isAlive()) {
                h.destroyForcibly();
            }
        }
    }

    /** The engine's {@code info network} trace line of the RTT probe's round trips ({@code -Dtrace=true}). */
    private static String trace(Path dir) throws IOException {
        try (HmpClient hmp = new HmpClient(dir.resolve("hmp.sock"))) {
            return hmp.cmd("info network").lines().filter(l -> l.contains("trace:")).findFirst().orElse("")
                    .replaceAll("^.*trace:", "").strip();
        }
    }

    private static Process start(String name, TapLab lab, Path dir) throws IOException {
        boolean altFw = name.endsWith("-altfw");
        String engine = altFw ? name.substring(0, name.length() - "-altfw".length()) : name;
        String netdev = "tap,id=n0,ifname=" + lab.tap() + ",script=no,downscript=no";
        String device = "virtio-net-pci,netdev=n0,mac=52:54:00:4a:4b:06";
        List<String> cmd;
        if (engine.startsWith("qemu")) {
            cmd = new ArrayList<>(List.of("/usr/bin/qemu-system-x86_64", "-accel", "tcg", "-cpu", "qemu64",
                    "-m", "64", "-kernel", altFw ? ALT_FW : FIRMWARE.toString(), "-display", "none", "-nodefaults",
                    "-name", "netbench,debug-threads=on", // per-thread CPU under -Dverbose: vCPU, main loop
                    "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04"));
        } else {
            cmd = new ArrayList<>(List.of(RepoPaths.root().resolve("bin/jkvm-engine").toString(), "-accel",
                    engine.endsWith("kvm") ? "kvm" : "tcg", "-m", "64M",
                    "-monitor", "unix:" + dir.resolve("hmp.sock") + ",server,nowait"));
            if (altFw) {
                cmd.addAll(List.of("-kernel", ALT_FW));
            }
        }
        cmd.addAll(List.of("-append", "ip=10.77.0.2/24 hb_ms=1000", "-serial", "file:" + dir.resolve("serial.log"),
                "-netdev", netdev, "-device", device));
        ProcessBuilder pb = new ProcessBuilder(cmd);
        String opts = (TRACE ? "-Djkvm.net.trace=true " : "")
                + (engine.endsWith("iothread") ? "-Djkvm.net.inline-tx=false " : "")
                + (engine.endsWith("burst-inline") ? "-Djkvm.net.burst-tx=inline " : "")
                + (engine.endsWith("abopts") ? System.getProperty("abopts", "") + " " : "")
                + System.getProperty("engineopts", "");
        if (!opts.isBlank()) {
            pb.environment().put("JKVM_JAVA_OPTS", opts.strip());
        }
        return pb.redirectErrorStream(true).redirectOutput(dir.resolve("out.txt").toFile()).start();
    }

    /**
     * Unmeasured back-to-back bursts of {@link #BURST_WARMUP} datagrams until one leaves the engine's JIT compiler
     * threads nearly idle (under {@link #JIT_SETTLED_MS} of their CPU during it), at most {@link #BURST_WARMUPS}:
     * the measured burst then runs the engine's steady state. The same rule for every engine (QEMU has no such
     * threads, so it gets one burst). Measured before this rule: C2 compiled the device's receive path and the
     * software CPU's ops for 95-560 ms during the measured burst, after one warm-up burst.
     */
    private static void warmUpBursts(TapLab lab, long pid) throws IOException, InterruptedException {
        StringBuilder jit = new StringBuilder();
        for (int i = 0; i < BURST_WARMUPS; i++) {
            long before = jitCpu(pid);
            String warm = cClient == null ? rate(lab, BURST_WARMUP, 0)
                    : perSecond(stream(lab, C_BURST_WARMUP, -32)) + " (32 in flight) + "
                    + perSecond(stream(lab, C_FLOOD_WARMUP, 0)) + " (flood)";
            long used = jitCpu(pid) - before;
            jit.append(i == 0 ? "" : ", ").append(warm).append(" JIT ").append(used).append(" ms");
            if (used < JIT_SETTLED_MS) {
                break;
            }
        }
        if (VERBOSE) {
            System.out.println("  warm-up bursts (not measured): " + jit);
        }
    }

    /** CPU ms of process {@code pid}'s JIT compiler threads. */
    private static long jitCpu(long pid) throws IOException {
        return threadCpu(pid).entrySet().stream().filter(t -> t.getKey().contains("Compiler"))
                .mapToLong(java.util.Map.Entry::getValue).sum();
    }

    /** Whether process {@code pid} has a thread whose name starts with {@code prefix}. */
    private static boolean hasThread(long pid, String prefix) throws IOException {
        try (var tasks = Files.list(Path.of("/proc/" + pid + "/task"))) {
            for (Path t : tasks.toList()) {
                try {
                    if (Files.readString(t.resolve("comm")).startsWith(prefix)) {
                        return true;
                    }
                } catch (IOException gone) {
                    // the thread ended while listed
                }
            }
        }
        return false;
    }

    /** Per thread name of process {@code pid}: user + system CPU time in ms (clock ticks of 10 ms). */
    private static java.util.Map<String, Long> threadCpu(long pid) throws IOException {
        java.util.Map<String, Long> out = new java.util.TreeMap<>();
        try (var tasks = Files.list(Path.of("/proc/" + pid + "/task"))) {
            for (Path t : tasks.toList()) {
                String stat = Files.readString(t.resolve("stat"));
                String name = stat.substring(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
                String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                out.merge(name, (Long.parseLong(f[11]) + Long.parseLong(f[12])) * 10, Long::sum);
            }
        } catch (IOException e) {
            return out; // the process ended
        }
        return out;
    }

    private static String cpuDelta(java.util.Map<String, Long> before, java.util.Map<String, Long> after) {
        StringBuilder b = new StringBuilder();
        after.forEach((k, v) -> {
            long d = v - before.getOrDefault(k, 0L);
            if (d > 0) {
                b.append(k).append('=').append(d).append(' ');
            }
        });
        return b.toString().strip();
    }

    /**
     * Per thread name of process {@code pid}: {run ns, runqueue wait ns, voluntary switches, involuntary switches}
     * ({@code /proc/PID/task/TID/schedstat} and {@code status}): who waited for a CPU during a burst.
     */
    private static java.util.Map<String, long[]> threadSched(long pid) throws IOException {
        java.util.Map<String, long[]> out = new java.util.TreeMap<>();
        try (var tasks = Files.list(Path.of("/proc/" + pid + "/task"))) {
            for (Path t : tasks.toList()) {
                String[] ss = Files.readString(t.resolve("schedstat")).strip().split(" ");
                long vol = 0;
                long invol = 0;
                String name = "";
                for (String l : Files.readAllLines(t.resolve("status"))) {
                    if (l.startsWith("Name:")) {
                        name = l.substring(5).strip();
                    } else if (l.startsWith("voluntary_ctxt_switches:")) {
                        vol = Long.parseLong(l.replaceAll("\\D", ""));
                    } else if (l.startsWith("nonvoluntary_ctxt_switches:")) {
                        invol = Long.parseLong(l.replaceAll("\\D", ""));
                    }
                }
                long[] v = {Long.parseLong(ss[0]), Long.parseLong(ss[1]), vol, invol};
                out.merge(name, v, (a, b) -> new long[] {a[0] + b[0], a[1] + b[1], a[2] + b[2], a[3] + b[3]});
            }
        } catch (IOException e) {
            return out; // the process ended
        }
        return out;
    }

    private static String schedDelta(java.util.Map<String, long[]> before, java.util.Map<String, long[]> after) {
        StringBuilder b = new StringBuilder();
        after.forEach((k, v) -> {
            long[] o = before.getOrDefault(k, new long[4]);
            if (v[0] - o[0] >= 1_000_000) {
                b.append(k).append('=').append((v[0] - o[0]) / 1_000_000).append('/').append((v[1] - o[1]) / 1_000_000)
                        .append('/').append(v[2] - o[2]).append('/').append(v[3] - o[3]).append(' ');
            }
        });
        return b.toString().strip();
    }

    /** The tap's counters: {frames queued toward the engine, dropped at that queue, frames the engine wrote}. */
    private static long[] tapCounters(TapLab lab) throws IOException {
        Path s = Path.of("/sys/class/net", lab.tap(), "statistics");
        return new long[] {Long.parseLong(Files.readString(s.resolve("tx_packets")).strip()),
            Long.parseLong(Files.readString(s.resolve("tx_dropped")).strip()),
            Long.parseLong(Files.readString(s.resolve("rx_packets")).strip())};
    }

    /** Frames the tap's kernel queue dropped because the engine did not read them in time. */
    private static long tapDropped(TapLab lab) throws IOException {
        return Long.parseLong(Files.readString(Path.of("/sys/class/net", lab.tap(), "statistics/tx_dropped")).strip());
    }

    /** UDP datagrams the client's namespace dropped for a full socket receive buffer (RcvbufErrors). */
    private static long clientRcvbufErrors(TapLab lab) throws IOException, InterruptedException {
        Process p = new ProcessBuilder("ip", "netns", "exec", lab.namespace(), "cat", "/proc/net/snmp")
                .redirectErrorStream(true).start();
        List<String> udp = new String(p.getInputStream().readAllBytes(), StandardCharsets.US_ASCII).lines()
                .filter(l -> l.startsWith("Udp:")).toList();
        p.waitFor();
        if (udp.size() < 2) {
            return 0;
        }
        List<String> names = List.of(udp.get(0).split("\\s+"));
        return Long.parseLong(udp.get(1).split("\\s+")[names.indexOf("RcvbufErrors")]);
    }

    /** Runs {@link UdpStream} in the lab's namespace; "echoed/s, lost%". */
    private static String rate(TapLab lab, int count, int periodMs) throws IOException, InterruptedException {
        List<String> cmd = List.of("ip", "netns", "exec", lab.namespace(),
                ProcessHandle.current().info().command().orElse("java"), "-cp", System.getProperty("java.class.path"),
                UdpStream.class.getName(), "10.77.0.2", Integer.toString(count), Integer.toString(periodMs));
        long tapDrops = tapDropped(lab);
        long clientDrops = clientRcvbufErrors(lab);
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        p.waitFor();
        String line = out.lines().filter(l -> l.startsWith("stream ")).findFirst().orElse(out);
        if (VERBOSE) {
            System.out.println("  period " + periodMs + " ms: " + line + " | dropped by the tap's queue (toward the"
                    + " engine) " + (tapDropped(lab) - tapDrops) + ", by the client's socket buffer "
                    + (clientRcvbufErrors(lab) - clientDrops));
        }
        double seconds = Long.parseLong(line.replaceAll(".*echo_ms=(\\d+).*", "$1").strip()) / 1000.0;
        long echoed = Long.parseLong(line.replaceAll(".*echoed=(\\d+).*", "$1").strip());
        return Math.round(echoed / Math.max(seconds, 0.001)) + "/s, " + (count - echoed) * 100 / count + "% lost";
    }
}
