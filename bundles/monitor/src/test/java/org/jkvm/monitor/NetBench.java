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
 * stack, {@code ip=10.77.0.2/24}, no workload). Per engine: the median round trip of one datagram at a time
 * ({@code NetProbe}, 200 datagrams) and the echoes per second of a paced stream ({@link UdpStream}: 2000 datagrams
 * offered at 1 per ms, then 2000 back to back) with the share lost. The announcement's effect on a live migration is
 * measured by {@code NetMigrationTest} (it prints its figures). Run: {@code bin/jkvm-bench Net} ({@code -Dqemu=false},
 * {@code -Dkvm=false} leave engines out).
 */
public final class NetBench {
    private static final Path FIRMWARE = RepoPaths.root().resolve("src/firmware/jkvm-fw.elf");

    private NetBench() {
    }

    /** Entry point; prints one row per engine. */
    public static void main(String[] args) throws Exception {
        List<String> engines = new ArrayList<>(List.of("jkvm-tcg"));
        if (Files.isWritable(Path.of("/dev/kvm")) && !"false".equals(System.getProperty("kvm"))) {
            engines.add("jkvm-kvm");
        }
        if (Files.isExecutable(Path.of("/usr/bin/qemu-system-x86_64")) && !"false".equals(System.getProperty("qemu"))) {
            engines.add("qemu-tcg");
        }
        System.out.println("| engine | UDP echo RTT median (us, 1 in flight) | paced 1000/s: echoed/s, lost |"
                + " back to back: echoed/s, lost |");
        System.out.println("|---|---|---|---|");
        for (String e : engines) {
            Path dir = Files.createTempDirectory("jkvm-netbench");
            try (TapLab lab = TapLab.create()) {
                Process p = start(e, lab, dir);
                try {
                    Await.until("the guest's network line", () -> Files.exists(dir.resolve("serial.log"))
                            && Files.readString(dir.resolve("serial.log"), StandardCharsets.ISO_8859_1)
                            .contains("net mac="));
                    lab.probe("10.77.0.2", 0, 50, 0); // warm-up
                    long rtt = lab.probe("10.77.0.2", 0, 200, 0).get("udp_rtt_us_median");
                    String paced = rate(lab, 2000, 1);
                    String burst = rate(lab, 2000, 0);
                    System.out.println("| " + e + " | " + rtt + " | " + paced + " | " + burst + " |");
                } finally {
                    p.destroy();
                    if (!p.waitFor(10, TimeUnit.SECONDS)) {
                        p.destroyForcibly().waitFor();
                    }
                }
            }
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
            cmd = EngineProcess.javaCommand();
            cmd.addAll(List.of("-accel", engine.endsWith("kvm") ? "kvm" : "tcg", "-m", "64M"));
        }
        cmd.addAll(List.of("-append", "ip=10.77.0.2/24 hb_ms=1000", "-serial", "file:" + dir.resolve("serial.log"),
                "-netdev", netdev, "-device", device));
        return new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(dir.resolve("out.txt").toFile())
                .start();
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
