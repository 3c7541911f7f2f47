package org.jkvm.driver.engine;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import org.jkvm.json.Json;

/**
 * A stand-in engine process for driver tests, until the real engine can run in every test: it takes the engine's
 * command-line options the driver passes, writes heartbeats ({@code hb seq=N}) to its serial file while running,
 * and serves QMP with the shapes of docs/contracts.md section 4. {@code migrate exec:CMD} writes a small stream
 * (the heartbeat sequence and a padding payload, paced by {@code max-bandwidth}) to CMD's stdin, and
 * {@code -incoming exec:CMD} reads it back, so save and restore keep the sequence going. It takes {@code -accel
 * kvm|tcg} and {@code -machine accel=kvm:tcg} as the engine does, names the accelerator in its first serial line
 * and answers {@code query-kvm}; it runs no guest code, so it needs no KVM either way.
 */
public final class FakeEngine {
    private static final int STREAM_BYTES = 2 << 20;
    /** The heartbeat period of the fake guest. */
    static final long HEARTBEAT_MS = 100;

    private final Map<String, String> opts = new LinkedHashMap<>();
    private final AtomicLong seq = new AtomicLong();
    private volatile String status = "running";
    private volatile String migStatus = null;
    private volatile long transferred;
    private volatile long maxBandwidth = 32L << 20;
    private volatile long downtimeLimit = 300;
    private volatile boolean cancel;
    /** The exit status the engine ends with once it has answered the current command, or -1 to go on. */
    private volatile int exitAfterAnswer = -1;
    private long heldBack;
    private PrintWriter serial;
    private PrintWriter client;

    public static void main(String[] args) throws Exception {
        if (args.length >= 1 && args.length <= 2 && args[0].equals("-standby")) {
            args = standby();
        }
        new FakeEngine().run(args);
    }

    /** The spare-engine protocol of jkvm-engine -standby: "LOGFILE\0OPTION\0..." on stdin, log appended. */
    private static String[] standby() throws IOException {
        String in = new String(System.in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        if (in.isEmpty()) {
            System.exit(0);
        }
        String[] fields = (in.endsWith("\0") ? in.substring(0, in.length() - 1) : in).split("\0", -1);
        PrintStream log = new PrintStream(Files.newOutputStream(Path.of(fields[0]), StandardOpenOption.CREATE,
                StandardOpenOption.APPEND), true);
        System.setOut(log);
        System.setErr(log);
        return java.util.Arrays.copyOfRange(fields, 1, fields.length);
    }

    private void run(String[] args) throws Exception {
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (a.equals("-S")) {
                opts.put("S", "1");
            } else if (a.startsWith("-") && i + 1 < args.length) {
                opts.put(a.substring(1), args[++i]);
            }
        }
        if (opts.containsKey("fake-fail")) {
            System.err.println("fake engine: refusing to start: " + opts.get("fake-fail"));
            System.exit(1);
        }
        String ser = opts.getOrDefault("serial", "null");
        // file:PATH[,append=on], or the console socket's log (unix:SOCK,server,nowait,logfile=PATH,...): the fake
        // engine serves no socket, so the driver's console follows the log.
        java.util.regex.Matcher logfile = java.util.regex.Pattern.compile(",logfile=([^,]+)").matcher(ser);
        String serialFile = ser.startsWith("file:") ? ser.substring(5).replaceFirst(",append=(on|off)$", "")
                : logfile.find() ? logfile.group(1) : null;
        serial = serialFile != null ? new PrintWriter(Files.newBufferedWriter(Path.of(serialFile),
                StandardOpenOption.CREATE, StandardOpenOption.APPEND), true)
                        : new PrintWriter(OutputStream.nullOutputStream());
        if (opts.containsKey("pidfile")) {
            Files.writeString(Path.of(opts.get("pidfile")), ProcessHandle.current().pid() + "\n");
        }
        serial.println("jkvm-fw fake name=" + opts.get("name") + " accel=" + accel());
        status = opts.containsKey("S") ? "prelaunch" : "running";
        if (opts.containsKey("incoming")) {
            status = "inmigrate";
            Thread t = new Thread(this::incoming, "incoming");
            t.setDaemon(true);
            t.start();
        }
        ScheduledExecutorService hb = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "hb");
            t.setDaemon(true);
            return t;
        });
        hb.scheduleAtFixedRate(this::heartbeat, 0, HEARTBEAT_MS, TimeUnit.MILLISECONDS);
        serveQmp(opts.get("qmp").replaceFirst("^unix:", "").replaceFirst(",.*$", ""));
    }

    /**
     * The guest's heartbeat, every {@link #HEARTBEAT_MS} while it runs. While it is paused, the engine's log says
     * which heartbeat it held back, so a test can see that heartbeats were due and none came.
     */
    private void heartbeat() {
        if (status.equals("running")) {
            serial.println("hb seq=" + seq.getAndIncrement() + " errors=0");
        } else if (status.equals("paused")) {
            System.out.println("fake engine: paused, heartbeat " + ++heldBack + " held back");
        }
    }

    private void incoming() {
        String uri = opts.get("incoming");
        try {
            Process p = null;
            java.net.Socket sock = null;
            InputStream source;
            if (uri.startsWith("tcp:")) {
                String[] hp = uri.substring(4).split(":");
                java.net.ServerSocket server = new java.net.ServerSocket();
                server.setReuseAddress(true);
                server.bind(new java.net.InetSocketAddress(hp[0], Integer.parseInt(hp[1])));
                sock = server.accept();
                server.close();
                source = sock.getInputStream();
            } else {
                p = new ProcessBuilder("sh", "-c", uri.substring("exec:".length())).start();
                source = p.getInputStream();
            }
            try (InputStream in = new java.io.BufferedInputStream(source)) {
                String magic = line(in);
                in.skipNBytes(STREAM_BYTES);
                String s = line(in);
                if (!"FAKESTREAM".equals(magic) || s == null || !s.startsWith("seq=")) {
                    System.err.println("fake engine: bad or truncated incoming stream: " + magic + " / " + s);
                    System.exit(1);
                }
                seq.set(Long.parseLong(s.substring(4)));
            }
            if (p != null) {
                p.waitFor();
            }
            if (sock != null) {
                sock.close();
            }
            serial.println("incoming done seq=" + seq.get());
            status = opts.containsKey("S") ? "paused" : "running";
            event("MIGRATION", Map.of("status", "completed"));
            if (status.equals("running")) {
                event("RESUME", Map.of());
            }
        } catch (IOException | InterruptedException e) {
            System.err.println("fake engine: incoming failed: " + e);
            System.exit(1);
        }
    }

    private void outgoing(String uri) {
        long start = System.currentTimeMillis();
        boolean wasRunning = false;
        try {
            Process p = null;
            OutputStream sink;
            if (uri.startsWith("tcp:")) {
                int colon = uri.lastIndexOf(':');
                java.net.Socket s = new java.net.Socket(uri.substring(4, colon),
                        Integer.parseInt(uri.substring(colon + 1)));
                sink = s.getOutputStream();
            } else {
                p = new ProcessBuilder("sh", "-c", uri.substring(5)).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                        .start();
                sink = p.getOutputStream();
            }
            try (OutputStream out = sink) {
                out.write("FAKESTREAM\n".getBytes(StandardCharsets.ISO_8859_1));
                byte[] chunk = new byte[64 << 10];
                for (transferred = 0; transferred < STREAM_BYTES; transferred += chunk.length) {
                    if (cancel) {
                        throw new IOException("migration cancelled");
                    }
                    out.write(chunk);
                    long due = start + transferred * 1000 / Math.max(1, maxBandwidth);
                    sleep(Math.max(0, due - System.currentTimeMillis()));
                }
                // Stop-and-copy: the guest stops, and its final state (the heartbeat sequence) goes last.
                wasRunning = status.equals("running");
                status = "postmigrate";
                out.write(("seq=" + seq.get() + "\n").getBytes(StandardCharsets.ISO_8859_1));
            }
            if (p != null && p.waitFor() != 0) {
                throw new IOException("exec command exited with " + p.exitValue());
            }
            migStatus = "completed";
            if (wasRunning) {
                event("STOP", Map.of());
            }
        } catch (IOException | InterruptedException e) {
            migStatus = cancel ? "cancelled" : "failed";
            if (status.equals("postmigrate")) {
                status = wasRunning ? "running" : "paused";
            }
            System.err.println("fake engine: migration " + migStatus + ": " + e.getMessage());
        }
        cancel = false;
        event("MIGRATION", Map.of("status", migStatus));
    }

    private static String line(InputStream in) throws IOException {
        StringBuilder sb = new StringBuilder();
        int b;
        while ((b = in.read()) >= 0 && b != '\n') {
            sb.append((char) b);
        }
        return b < 0 && sb.length() == 0 ? null : sb.toString();
    }

    private void serveQmp(String path) throws IOException {
        Files.deleteIfExists(Path.of(path));
        ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        server.bind(UnixDomainSocketAddress.of(path));
        while (true) {
            try (SocketChannel ch = server.accept()) {
                // Not Channels.newInputStream/newOutputStream: both lock the channel's blockingLock, so an event
                // written while the reader waits for the next command would wait for that command.
                BufferedReader r = new BufferedReader(new InputStreamReader(new InputStream() {
                    @Override
                    public int read() throws IOException {
                        byte[] one = new byte[1];
                        return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
                    }

                    @Override
                    public int read(byte[] b, int off, int len) throws IOException {
                        return ch.read(java.nio.ByteBuffer.wrap(b, off, len));
                    }
                }, StandardCharsets.UTF_8));
                PrintWriter w = new PrintWriter(new OutputStream() {
                    @Override
                    public void write(int b) throws IOException {
                        write(new byte[] {(byte) b}, 0, 1);
                    }

                    @Override
                    public void write(byte[] b, int off, int len) throws IOException {
                        java.nio.ByteBuffer buf = java.nio.ByteBuffer.wrap(b, off, len);
                        while (buf.hasRemaining()) {
                            ch.write(buf);
                        }
                    }
                }, true, StandardCharsets.UTF_8);
                synchronized (this) {
                    client = w;
                    w.println("{\"QMP\": {\"version\": {\"package\": \"fake\"}, \"capabilities\": []}}");
                }
                String line;
                while ((line = r.readLine()) != null) {
                    Map<String, Object> msg = Json.parseObject(line);
                    Object reply = handle(String.valueOf(msg.get("execute")), args(msg));
                    Map<String, Object> out = new LinkedHashMap<>();
                    if (reply instanceof Error err) {
                        out.put("error", Map.of("class", "GenericError", "desc", err.getMessage()));
                    } else {
                        out.put("return", reply);
                    }
                    out.put("id", msg.get("id"));
                    synchronized (this) {
                        w.println(Json.write(out));
                    }
                    if (exitAfterAnswer >= 0) {
                        // As the real engine: the command is answered first, then the process ends.
                        System.exit(exitAfterAnswer);
                    }
                }
            } catch (IOException | RuntimeException e) {
                System.err.println("fake engine: QMP client dropped: " + e);
            }
            synchronized (this) {
                client = null;
            }
        }
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> args(Map<String, Object> msg) {
        Object a = msg.get("arguments");
        return a instanceof Map ? (Map<String, Object>) a : Map.of();
    }

    /** {@code -accel NAME}, else the first of {@code -machine ...,accel=A:B}, else kvm (the engine's default). */
    private String accel() {
        String machine = opts.getOrDefault("machine", "");
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("(?:^|,)accel=([a-z]+)").matcher(machine);
        return opts.getOrDefault("accel", m.find() ? m.group(1) : "kvm");
    }

    private Object handle(String cmd, Map<String, Object> a) {
        switch (cmd) {
            case "query-kvm":
                return Map.of("enabled", accel().equals("kvm"), "present", Files.exists(Path.of(opts.getOrDefault(
                        "kvm-device", System.getenv().getOrDefault("JKVM_KVM_DEVICE", "/dev/kvm")))));
            case "qmp_capabilities", "system_reset":
                return Map.of();
            case "query-status":
                return Map.of("running", status.equals("running"), "status", status);
            case "stop":
                status = "paused";
                event("STOP", Map.of());
                return Map.of();
            case "cont":
                if (status.equals("inmigrate")) {
                    return new Error("guest is still waiting for its incoming migration");
                }
                status = "running";
                event("RESUME", Map.of());
                return Map.of();
            case "system_powerdown":
                serial.println("shutdown requested");
                event("SHUTDOWN", Map.of("guest", true, "reason", "guest-shutdown"));
                exitAfterAnswer = 0;
                return Map.of();
            case "quit":
                exitAfterAnswer = 0;
                return Map.of();
            case "x-crash":
                exitAfterAnswer = 3;
                return Map.of();
            case "migrate":
                return migrate(String.valueOf(a.get("uri")));
            case "migrate_cancel":
                cancel = true;
                return Map.of();
            case "query-migrate":
                return queryMigrate();
            case "migrate-set-capabilities":
                return Map.of();
            case "migrate-set-parameters":
                if (a.get("max-bandwidth") instanceof Number n) {
                    maxBandwidth = n.longValue();
                }
                if (a.get("downtime-limit") instanceof Number n) {
                    downtimeLimit = n.longValue();
                }
                return Map.of();
            case "query-migrate-parameters":
                return Map.of("max-bandwidth", maxBandwidth, "downtime-limit", downtimeLimit);
            default:
                return new Error("The command " + cmd + " has not been found");
        }
    }

    private Object migrate(String uri) {
        if (!uri.startsWith("exec:") && !uri.startsWith("tcp:")) {
            return new Error("fake engine supports only exec: and tcp: migration, not " + uri);
        }
        migStatus = "active";
        Thread t = new Thread(() -> outgoing(uri), "migrate");
        t.setDaemon(true);
        t.start();
        return Map.of();
    }

    private Map<String, Object> queryMigrate() {
        String cpu = opts.getOrDefault("cpu", "");
        if (cpu.contains("+svm") || cpu.contains("+vmx")) {
            // As the real engine where KVM offers nested virtualization: such a guest is not migratable.
            return Map.of("blocked-reasons", List.of("the guest's CPU (-cpu " + cpu
                    + ") exposes nested virtualization"));
        }
        if (migStatus == null) {
            return Map.of();
        }
        Map<String, Object> ram = new LinkedHashMap<>();
        ram.put("transferred", transferred);
        ram.put("remaining", STREAM_BYTES - transferred);
        ram.put("total", (long) STREAM_BYTES);
        ram.put("duplicate", 0L);
        ram.put("normal", transferred / 4096);
        ram.put("normal-bytes", transferred);
        ram.put("dirty-pages-rate", 0L);
        ram.put("mbps", maxBandwidth * 8 / 1e6);
        ram.put("dirty-sync-count", 1L);
        ram.put("page-size", 4096L);
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("status", migStatus);
        m.put("total-time", 10L);
        m.put("expected-downtime", downtimeLimit);
        m.put("setup-time", 1L);
        m.put("ram", ram);
        return m;
    }

    private synchronized void event(String name, Map<String, Object> data) {
        if (client != null) {
            long now = System.currentTimeMillis();
            client.println(Json.write(Map.of("event", name, "data", data,
                    "timestamp", Map.of("seconds", now / 1000, "microseconds", (now % 1000) * 1000))));
        }
    }

    /** The fake's bandwidth limit: it paces its stream as the real engine's rate limiter does. */
    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
