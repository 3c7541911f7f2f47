package org.jkvm.features;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * Two network namespaces standing for two hosts, joined by a veth pair: host A is 192.0.2.1/24 and host B
 * 192.0.2.2/24 (TEST-NET-1, the documentation range; the addresses exist only inside these namespaces, so no
 * traffic leaves them), each with {@code lo} up. Names are unique per run ({@code jk<pid><random>a/b}); {@link
 * #close} deletes both namespaces (which removes the veth pair too). Every {@code ip} call is bounded to 10 s.
 */
final class Netns implements AutoCloseable {
    static final String ADDRESS_A = "192.0.2.1";
    static final String ADDRESS_B = "192.0.2.2";
    private static final Path IP = Path.of("/usr/sbin/ip");

    final String a;
    final String b;

    private Netns(String a, String b) {
        this.a = a;
        this.b = b;
    }

    /**
     * Creates the two namespaces, or explains on stdout why not and returns empty (not root, no {@code ip}, or
     * the kernel refused); anything half made is deleted again.
     */
    static Optional<Netns> create() {
        if (!Files.isExecutable(IP)) {
            System.out.println("[jkvm] no " + IP + ": two-host tests fall back to 127.0.0.2 / 127.0.0.3");
            return Optional.empty();
        }
        if (!"root".equals(System.getProperty("user.name"))) {
            System.out.println("[jkvm] not root, cannot make network namespaces: two-host tests fall back to "
                    + "127.0.0.2 / 127.0.0.3");
            return Optional.empty();
        }
        String base = "jk" + ProcessHandle.current().pid() % 100000 + ThreadLocalRandom.current().nextInt(1000);
        Netns n = new Netns(base + "a", base + "b");
        try {
            n.setUp();
            return Optional.of(n);
        } catch (IllegalStateException e) {
            n.close();
            System.out.println("[jkvm] cannot make network namespaces (" + e.getMessage() + "): two-host tests "
                    + "fall back to 127.0.0.2 / 127.0.0.3");
            return Optional.empty();
        }
    }

    private void setUp() {
        ip("netns", "add", a);
        ip("netns", "add", b);
        ip("link", "add", a + "v", "netns", a, "type", "veth", "peer", "name", b + "v", "netns", b);
        ip("-n", a, "addr", "add", ADDRESS_A + "/24", "dev", a + "v");
        ip("-n", b, "addr", "add", ADDRESS_B + "/24", "dev", b + "v");
        for (String ns : List.of(a, b)) {
            ip("-n", ns, "link", "set", "lo", "up");
            ip("-n", ns, "link", "set", ns + "v", "up");
        }
    }

    /** The command prefix that runs a program inside namespace {@code ns}. */
    static List<String> exec(String ns) {
        return List.of(IP.toString(), "netns", "exec", ns);
    }

    private static void ip(String... args) {
        List<String> cmd = new ArrayList<>();
        cmd.add(IP.toString());
        cmd.addAll(List.of(args));
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            p.getOutputStream().close();
            if (!p.waitFor(10, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IllegalStateException(String.join(" ", cmd) + " did not finish in 10 s");
            }
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            if (p.exitValue() != 0) {
                throw new IllegalStateException(String.join(" ", cmd) + " failed: " + out);
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot run " + IP + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted running ip", e);
        }
    }

    /** Deletes both namespaces (and so the veth pair); missing ones are ignored. */
    @Override
    public void close() {
        for (String ns : List.of(a, b)) {
            try {
                ip("netns", "delete", ns);
            } catch (IllegalStateException e) {
                // Not made, or already gone.
            }
        }
    }
}
