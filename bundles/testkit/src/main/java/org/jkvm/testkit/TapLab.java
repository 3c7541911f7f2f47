package org.jkvm.testkit;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A small network for a guest's NIC (test helper, needs root and {@code ip}): a persistent tap the VM attaches to by
 * name, a Linux bridge joining it to one end of a veth pair, and a network namespace holding the other end with the
 * client's address {@code 10.77.0.1/24}. The host's own namespace gets no address and no route, so nothing outside
 * the test can reach the guest or be disturbed by it. Names are unique per JVM and per lab, so parallel tests (and
 * other engines' taps) never meet. {@link #close} removes everything.
 *
 * <p>Thread-safety: one test thread per lab.
 */
public final class TapLab implements AutoCloseable {
    /** The client's address in the namespace; the guest takes another address of 10.77.0.0/24. */
    public static final String CLIENT_IP = "10.77.0.1";
    /** The prefix length of the lab's subnet. */
    public static final int PREFIX = 24;
    private static final AtomicInteger NEXT = new AtomicInteger();
    private static final long COMMAND_SECONDS = 30;
    private static final long PROBE_SECONDS = 300;

    private final Path ip;
    private final String tap;
    private final String bridge;
    private final String vethHost;
    private final String namespace;
    private final List<List<String>> undo = new ArrayList<>();

    private TapLab(Path ip, String id) {
        this.ip = ip;
        this.tap = "jt" + id;
        this.bridge = "jb" + id;
        this.vethHost = "jv" + id;
        this.namespace = "jkvm-lab-" + id;
    }

    /** Requires root and {@code ip}, then builds the lab; fails the test with the failing command otherwise. */
    public static TapLab create() throws IOException, InterruptedException {
        Require.root();
        Path ip = Require.command("ip");
        String id = Long.toString(ProcessHandle.current().pid() % 100000, 36) + "x" + NEXT.incrementAndGet();
        TapLab lab = new TapLab(ip, id);
        try {
            lab.build();
        } catch (IOException | RuntimeException | Error e) {
            lab.close();
            throw e;
        }
        return lab;
    }

    private void build() throws IOException, InterruptedException {
        run(List.of("tuntap", "add", "dev", tap, "mode", "tap"));
        undo.add(0, List.of("link", "del", tap));
        run(List.of("link", "add", bridge, "type", "bridge"));
        undo.add(0, List.of("link", "del", bridge));
        run(List.of("netns", "add", namespace));
        undo.add(0, List.of("netns", "del", namespace));
        run(List.of("link", "add", vethHost, "type", "veth", "peer", "name", "eth0", "netns", namespace));
        undo.add(0, List.of("link", "del", vethHost));
        run(List.of("link", "set", tap, "master", bridge, "up"));
        run(List.of("link", "set", vethHost, "master", bridge, "up"));
        run(List.of("link", "set", bridge, "up"));
        run(List.of("-n", namespace, "addr", "add", CLIENT_IP + "/" + PREFIX, "dev", "eth0"));
        run(List.of("-n", namespace, "link", "set", "eth0", "up"));
        run(List.of("-n", namespace, "link", "set", "lo", "up"));
    }

    /** The tap's name, for {@code -netdev tap,ifname=NAME,script=no,downscript=no}. */
    public String tap() {
        return tap;
    }

    /**
     * Adds another persistent tap on the lab's bridge (for a migration's destination, which attaches its own tap on
     * the same segment) and returns its name; {@link #close} removes it too.
     */
    public String addTap() throws IOException, InterruptedException {
        String name = tap + "t" + undo.size();
        run(List.of("tuntap", "add", "dev", name, "mode", "tap"));
        undo.add(0, List.of("link", "del", name));
        run(List.of("link", "set", name, "master", bridge, "up"));
        return name;
    }

    /** The client's namespace. */
    public String namespace() {
        return namespace;
    }

    /**
     * Runs {@link NetProbe} in the client's namespace against {@code guestIp} and returns its result line's fields
     * ({@code ping_ok}, {@code ping_sent}, {@code udp_ok}, {@code udp_sent}, {@code udp_rtt_us_median}).
     */
    public Map<String, Long> probe(String guestIp, int pings, int datagrams, int skip)
            throws IOException, InterruptedException {
        return probe(guestIp, pings, datagrams, skip, 0);
    }

    /** As {@link #probe(String, int, int, int)}, then {@code tcp} TCP echo connections ({@code tcp_ok}). */
    public Map<String, Long> probe(String guestIp, int pings, int datagrams, int skip, int tcp)
            throws IOException, InterruptedException {
        String java = ProcessHandle.current().info().command().orElse("java");
        List<String> cmd = List.of(ip.toString(), "netns", "exec", namespace, java, "-cp",
                System.getProperty("java.class.path"), NetProbe.class.getName(), guestIp, Integer.toString(pings),
                Integer.toString(datagrams), Integer.toString(skip), Integer.toString(tcp));
        String out = exec(cmd, PROBE_SECONDS);
        Map<String, Long> fields = new HashMap<>();
        for (String line : out.split("\n")) {
            if (line.startsWith("probe ")) {
                for (String word : line.substring(6).split(" ")) {
                    String[] kv = word.split("=", 2);
                    fields.put(kv[0], Long.parseLong(kv[1]));
                }
            }
        }
        if (fields.isEmpty()) {
            throw new IOException("the network probe printed no result line: " + out);
        }
        return fields;
    }

    private void run(List<String> args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        cmd.add(ip.toString());
        cmd.addAll(args);
        exec(cmd, COMMAND_SECONDS);
    }

    private static String exec(List<String> cmd, long seconds) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        p.getOutputStream().close();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(seconds, TimeUnit.SECONDS)) {
            p.destroyForcibly().waitFor();
            throw new IOException("did not finish in " + seconds + " s: " + String.join(" ", cmd));
        }
        String text = new String(out, StandardCharsets.UTF_8);
        if (p.exitValue() != 0) {
            throw new IOException("failed with status " + p.exitValue() + ": " + String.join(" ", cmd) + ": "
                    + text.strip());
        }
        return text;
    }

    /** Removes the namespace, the veth pair, the bridge and the tap (whatever was made), ignoring failures. */
    @Override
    public void close() throws IOException, InterruptedException {
        for (List<String> args : undo) {
            try {
                run(args);
            } catch (IOException e) {
                // Already gone with another part (the veth with the namespace): nothing to undo.
            }
        }
        undo.clear();
    }
}
