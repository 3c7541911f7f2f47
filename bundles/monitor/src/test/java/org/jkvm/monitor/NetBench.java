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
 * {@code bin/jkvm-engine}. Per engine: the median round trip of one datagram at a time
 * ({@code NetProbe}, 200 datagrams) and the echoes per second of a paced stream ({@link UdpStream}: 2000 datagrams
 * offered at 1 per ms, then 2000 back to back) with the share lost. The announcement's effect on a live migration is
 * measured by {@code NetMigrationTest} (it prints its figures). Run: {@code bin/jkvm-bench Net} ({@code -Dqemu=false},
 * {@code -Dkvm=false} leave engines out; {@code -Dtrace=true} prints where jkvm's round trips go,
 * {@link org.jkvm.devices.virtio.net.NetTrace}; {@code -Dab=true} adds jkvm with transmit on its I/O thread,
 * {@code -Drounds=N} repeats the engines interleaved, {@code -Dwarmup=N}, {@code -Dstreams=false}).
 */
public final class NetBench {
    /** {@code -Dtrace=true}: the engines run with {@code jkvm.net.trace} and the stage medians are printed. */
    private static final boolean TRACE = Boolean.getBoolean("trace");
    /** {@code -Dab=true}: also jkvm-tcg with every transmit on its I/O thread ({@code jkvm.net.inline-tx=false}). */
    private static final boolean AB = Boolean.getBoolean("ab");
    /** {@code -Dstreams=false}: the RTT only. */
    private static final boolean STREAMS = !"false".equals(System.getProperty("streams"));
    /** {@code -Dwarmup=N}: datagrams echoed one at a time before the RTT is measured (default 2000). */
    private static final int WARMUP = Integer.getInteger("warmup", 2000);
    private static final Path FIRMWARE = RepoPaths.root().resolve("src/firmware/jkvm-fw.elf");

    private NetBench() {
    }

    /** Entry point; prints one row per engine. */
    public static void main(String[] args) throws Exception {
        List<String> engines = new ArrayList<>(List.of("jkvm-tcg"));
        if (AB) {
            engines.add("jkvm-tcg-iothread");
        }
        if (Files.isWritable(Path.of("/dev/kvm")) && !"false".equals(System.getProperty("kvm"))) {
            engines.add("jkvm-kvm");
        }
        if (Files.isExecutable(Path.of("/usr/bin/qemu-system-x86_64")) && !"false".equals(System.getProperty("qemu"))) {
            engines.add("qemu-tcg");
        }
        System.out.println("| engine | UDP echo RTT median (us, 1 in flight) | paced 1000/s: echoed/s, lost |"
                + " back to back: echoed/s, lost |");
        System.out.println("|---|---|---|---|");
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
                    lab.probe("10.77.0.2", 0, WARMUP, 0); // steady state: JIT-compiled paths, as a busy NIC runs
                    long rtt = lab.probe("10.77.0.2", 0, 200, 0).get("udp_rtt_us_median");
                    String trace = TRACE && !e.startsWith("qemu") ? trace(dir) : "";
                    String paced = STREAMS ? rate(lab, 2000, 1) : "-";
                    String burst = STREAMS ? rate(lab, 2000, 0) : "-";
                    System.out.println("| " + e + " | " + rtt + " | " + paced + " | " + burst + " |");
                    if (!trace.isEmpty()) {
                        traces.add(e + " " + trace);
                        traces.add(e + " after the streams: " + trace(dir).replaceAll(".* tx_inline=", "tx_inline="));
                    }
                } finally {
                    p.destroy();
                    if (!p.waitFor(10, TimeUnit.SECONDS)) {
                        p.destroyForcibly().waitFor();
                    }
                }
            }
        }
        traces.forEach(System.out::println);
    }

    /** The engine's {@code info network} trace line of the RTT probe's round trips ({@code -Dtrace=true}). */
    private static String trace(Path dir) throws IOException {
        try (HmpClient hmp = new HmpClient(dir.resolve("hmp.sock"))) {
            return hmp.cmd("info network").lines().filter(l -> l.contains("trace:")).findFirst().orElse("")
                    .replaceAll("^.*trace:", "").strip();
        }
    }

    private static Process start(String engine, TapLab lab, Path dir) throws IOException {
        String netdev = "tap,id=n0,ifname=" + lab.tap() + ",script=no,downscript=no";
        String device = "virtio-net-pci,netdev=n0,mac=52:54:00:4a:4b:06";
        List<String> cmd;
        if (engine.startsWith("qemu")) {
            cmd = new ArrayList<>(List.of("/usr/bin/qemu-system-x86_64", "-accel", "tcg", "-cpu", "qemu64",
                    "-m", "64", "-kernel", FIRMWARE.toString(), "-display", "none", "-nodefaults",
                    "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04"));
        } else {
            cmd = new ArrayList<>(List.of(RepoPaths.root().resolve("bin/jkvm-engine").toString(), "-accel",
                    engine.endsWith("kvm") ? "kvm" : "tcg", "-m", "64M",
                    "-monitor", "unix:" + dir.resolve("hmp.sock") + ",server,nowait"));
        }
        cmd.addAll(List.of("-append", "ip=10.77.0.2/24 hb_ms=1000", "-serial", "file:" + dir.resolve("serial.log"),
                "-netdev", netdev, "-device", device));
        ProcessBuilder pb = new ProcessBuilder(cmd);
        String opts = (TRACE ? "-Djkvm.net.trace=true " : "") + (engine.endsWith("iothread")
                ? "-Djkvm.net.inline-tx=false" : "");
        if (!opts.isBlank()) {
            pb.environment().put("JKVM_JAVA_OPTS", opts.strip());
        }
        return pb.redirectErrorStream(true).redirectOutput(dir.resolve("out.txt").toFile()).start();
    }

    /** Runs {@link UdpStream} in the lab's namespace; "echoed/s, lost%". */
    private static String rate(TapLab lab, int count, int periodMs) throws IOException, InterruptedException {
        List<String> cmd = List.of("ip", "netns", "exec", lab.namespace(),
                ProcessHandle.current().info().command().orElse("java"), "-cp", System.getProperty("java.class.path"),
                UdpStream.class.getName(), "10.77.0.2", Integer.toString(count), Integer.toString(periodMs));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        p.waitFor();
        String line = out.lines().filter(l -> l.startsWith("stream ")).findFirst().orElse(out);
        double seconds = Long.parseLong(line.replaceAll(".*echo_ms=(\\d+).*", "$1").strip()) / 1000.0;
        long echoed = Long.parseLong(line.replaceAll(".*echoed=(\\d+).*", "$1").strip());
        return Math.round(echoed / Math.max(seconds, 0.001)) + "/s, " + (count - echoed) * 100 / count + "% lost";
    }
}
