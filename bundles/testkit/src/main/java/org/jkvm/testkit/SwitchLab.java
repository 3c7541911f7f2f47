package org.jkvm.testkit;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Issue 15's network for a migrating guest (test helper, needs root, {@code ip} and {@code bridge}): two host
 * network namespaces that already exist (A and B) each get a bridge for the guest's tap and an uplink veth into a
 * third namespace, the "switch", whose bridge {@code brs} joins both uplinks and holds the client at
 * {@code SUBNET.1/24}. Optionally each host gets {@code SUBNET.11} (A) or {@code SUBNET.12} (B) on its bridge (a
 * migration stream between them). {@link #switchPort} reads the switch's forwarding table; {@link #stream} runs the
 * client's numbered UDP stream (and pings) in the switch. {@link #close} deletes the switch namespace, which takes
 * the uplinks' peers with it; the hosts' bridges go with their namespaces.
 *
 * <p>Thread-safety: one test thread per lab.
 */
public final class SwitchLab implements AutoCloseable {
    private static final long COMMAND_SECONDS = 30;
    private final String switchNs;
    private final String subnet;
    private final String[] uplinks = new String[2];
    private final List<Process> processes = new ArrayList<>();

    private SwitchLab(String switchNs, String subnet) {
        this.switchNs = switchNs;
        this.subnet = subnet;
    }

    /**
     * Builds the switch and joins the hosts to it.
     *
     * @param id            a short unique suffix (at most 6 characters: interface names have 15)
     * @param hosts         the namespaces of host A and host B
     * @param hostBridge    the name of the bridge made in each host namespace, for the guest's tap
     * @param subnet        the first three octets of the /24, e.g. {@code 10.88.0}
     * @param hostAddresses whether the hosts get .11 and .12 on their bridges
     */
    public static SwitchLab create(String id, String[] hosts, String hostBridge, String subnet,
            boolean hostAddresses) throws IOException, InterruptedException {
        Require.root();
        Require.command("ip");
        Require.command("bridge");
        SwitchLab lab = new SwitchLab("jkns-sw-" + id, subnet);
        try {
            lab.build(id, hosts, hostBridge, hostAddresses);
        } catch (IOException | RuntimeException | Error e) {
            lab.close();
            throw e;
        }
        return lab;
    }

    private void build(String id, String[] hosts, String hostBridge, boolean hostAddresses)
            throws IOException, InterruptedException {
        run("ip", "netns", "add", switchNs);
        for (String ns : new String[] {switchNs, hosts[0], hosts[1]}) {
            quietIpv6(ns);
        }
        run("ip", "-n", switchNs, "link", "set", "lo", "up");
        run("ip", "-n", switchNs, "link", "add", "brs", "type", "bridge");
        run("ip", "-n", switchNs, "link", "set", "brs", "up");
        run("ip", "-n", switchNs, "addr", "add", subnet + ".1/24", "dev", "brs");
        for (int i = 0; i < 2; i++) {
            String up = "u" + (char) ('a' + i) + id;
            uplinks[i] = up + "s";
            run("ip", "link", "add", up, "type", "veth", "peer", "name", up + "s");
            run("ip", "link", "set", up, "netns", hosts[i]);
            run("ip", "link", "set", up + "s", "netns", switchNs);
            run("ip", "-n", switchNs, "link", "set", up + "s", "master", "brs", "up");
            run("ip", "-n", hosts[i], "link", "add", hostBridge, "type", "bridge");
            run("ip", "-n", hosts[i], "link", "set", hostBridge, "up");
            run("ip", "-n", hosts[i], "link", "set", up, "master", hostBridge, "up");
            if (hostAddresses) {
                run("ip", "-n", hosts[i], "addr", "add", subnet + "." + (11 + i) + "/24", "dev", hostBridge);
            }
        }
    }

    /**
     * Pins the guest's address to its MAC in the client's neighbour table. The client's ARP requests, flooded, would
     * reach a quiet guest on B, whose reply moves the switch as the announcement does; without them only the
     * announcement (or the guest's own traffic) moves it. Call it after {@link #create}: the bridge takes a port's
     * MAC when the first one joins, and a device's address change flushes its neighbour entries, permanent ones too.
     */
    public void pinNeighbour(String guestIp, String mac) throws IOException, InterruptedException {
        run("ip", "-n", switchNs, "neigh", "replace", guestIp, "lladdr", mac, "dev", "brs", "nud", "permanent");
    }

    /** The switch's port towards host {@code host} (0 = A, 1 = B). */
    public String uplink(int host) {
        return uplinks[host];
    }

    /** The switch port {@code mac} is learnt on, or "" when none. */
    public String switchPort(String mac) throws IOException, InterruptedException {
        for (String line : run("bridge", "-n", switchNs, "fdb", "show", "br", "brs").split("\n")) {
            if (line.startsWith(mac.toLowerCase(java.util.Locale.ROOT) + " dev ")) {
                return line.split(" ")[2];
            }
        }
        return "";
    }

    /**
     * Starts {@link UdpStream} in the switch: {@code count} numbered datagrams to {@code guestIp}'s echo port, one
     * every 10 ms, with a ping every 10 ms meanwhile when {@code ping}; {@link #result} waits for its line.
     */
    public Process stream(String guestIp, int count, boolean ping) throws IOException {
        List<String> cmd = new ArrayList<>(List.of("ip", "netns", "exec", switchNs,
                ProcessHandle.current().info().command().orElse("java"), "-cp", System.getProperty("java.class.path"),
                UdpStream.class.getName(), guestIp, Integer.toString(count), "10"));
        if (ping) {
            cmd.add("ping");
        }
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        processes.add(p);
        return p;
    }

    /**
     * Ends a stream started by {@link #stream} after the datagram it is sending (its {@code sent} then counts what
     * it sent); {@link #result} still reads its line.
     */
    public static void stop(Process stream) throws IOException {
        stream.getOutputStream().write("stop\n".getBytes(StandardCharsets.US_ASCII));
        stream.getOutputStream().flush();
    }

    /** The fields of a stream's result line ({@code sent}, {@code echoed}, {@code lost}, ...). */
    public static Map<String, Long> result(Process stream) throws IOException, InterruptedException {
        String out = new String(stream.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        stream.waitFor(60, TimeUnit.SECONDS);
        String line = out.lines().filter(l -> l.startsWith("stream ")).findFirst()
                .orElseThrow(() -> new IOException("the UDP stream printed no result line: " + out));
        Map<String, Long> fields = new HashMap<>();
        for (String word : line.substring(7).split(" ")) {
            String[] kv = word.split("=", 2);
            fields.put(kv[0], Long.parseLong(kv[1]));
        }
        return fields;
    }

    /** Runs a stream of {@code count} datagrams to the end and returns how many were lost. */
    public long lost(String guestIp, int count) throws IOException, InterruptedException {
        return result(stream(guestIp, count, false)).get("lost");
    }

    /**
     * Starts {@code bridge monitor fdb} in the switch and notes, by wall clock (ms since the epoch), when the
     * switch first learnt {@code mac} on each port from now on; events are timed as they arrive, within a few ms.
     */
    public FdbWatch watch(String mac) throws IOException {
        Process p = new ProcessBuilder("ip", "netns", "exec", switchNs, "bridge", "monitor", "fdb")
                .redirectErrorStream(true).start();
        processes.add(p);
        FdbWatch w = new FdbWatch(mac.toLowerCase(java.util.Locale.ROOT));
        Thread t = new Thread(() -> w.read(p), "fdb-watch");
        t.setDaemon(true);
        t.start();
        return w;
    }

    /** When the switch learnt one MAC on each port; thread-safe (one reader thread writes, tests read). */
    public static final class FdbWatch {
        private final String mac;
        private final Map<String, Long> firstMs = new java.util.concurrent.ConcurrentHashMap<>();

        private FdbWatch(String mac) {
            this.mac = mac;
        }

        private void read(Process p) {
            try (java.io.BufferedReader r = p.inputReader(StandardCharsets.UTF_8)) {
                for (String line = r.readLine(); line != null; line = r.readLine()) {
                    long now = System.currentTimeMillis();
                    String[] w = line.strip().split(" ");
                    if (w.length >= 3 && w[0].equals(mac) && w[1].equals("dev")) {
                        firstMs.putIfAbsent(w[2], now);
                    }
                }
            } catch (IOException e) {
                // the monitor was stopped with the lab
            }
        }

        /** When {@code port} first held the MAC since the watch began, ms since the epoch, or -1. */
        public long firstOn(String port) {
            return firstMs.getOrDefault(port, -1L);
        }
    }

    /**
     * Turns IPv6 off for the links a namespace gets from now on (the uplinks, the bridges, the guest's tap).
     * Otherwise every new link sends router solicitations, MLD reports and duplicate-address probes for a while;
     * the guest receives those too, and one of them may be the frame a source keeps for the guest at the
     * switchover instead of a client's request, which the guest would answer from the destination.
     */
    private static void quietIpv6(String ns) throws IOException, InterruptedException {
        if (Files.isDirectory(Path.of("/proc/sys/net/ipv6"))) {
            run("ip", "netns", "exec", ns, "sysctl", "-q", "-w", "net.ipv6.conf.default.disable_ipv6=1");
        }
    }

    /**
     * Runs a command to its end (at most 30 s) and returns its output; a failure or a timeout is an IOException
     * naming the command and its output. For the namespaces and links a test builds beside the lab.
     */
    public static String run(String... cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(COMMAND_SECONDS, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IOException(String.join(" ", cmd) + " failed: " + out.strip());
        }
        return out;
    }

    /** Stops the streams still running and deletes the switch namespace (and with it the uplinks). */
    @Override
    public void close() throws IOException, InterruptedException {
        for (Process p : processes) {
            p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
        new ProcessBuilder("ip", "netns", "del", switchNs).start().waitFor(COMMAND_SECONDS, TimeUnit.SECONDS);
    }
}
