package org.jkvm.features;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Two jkvm hosts for migration tests. Preferably each is {@code bin/jkvmd} in a network namespace of its own
 * ({@link Netns}: 192.0.2.1 and 192.0.2.2, libvirt's port 16509), and virsh runs inside host A's namespace, as an
 * operator on A would; where namespaces cannot be made (a message says why) both daemons run in this JVM on
 * 127.0.0.2 and 127.0.0.3. Either way each host has its own state folder, and both see the same firmware and
 * engine (the repository): the seed's shared storage.
 */
final class TwoHosts implements AutoCloseable {
    final Host a;
    final Host b;
    private final Netns netns;
    private final Thread onExit = new Thread(this::close, "jkvm-two-hosts-cleanup");
    private final AtomicBoolean closed = new AtomicBoolean();

    private TwoHosts(Host a, Host b, Netns netns) {
        this.a = a;
        this.b = b;
        this.netns = netns;
        // Also when the test JVM is stopped early: no daemon, engine or namespace is left behind.
        Runtime.getRuntime().addShutdownHook(onExit);
    }

    /**
     * Starts the two hosts.
     *
     * @param namespaces whether to try network namespaces (false: loopback addresses in this JVM, faster)
     * @param ports      the first incoming-migration port; A uses ports..+7, B ports+10..+17
     */
    static TwoHosts start(Path dir, String engine, boolean namespaces, int ports) {
        Optional<Netns> ns = namespaces ? Netns.create() : Optional.empty();
        if (ns.isEmpty()) {
            return new TwoHosts(new Daemon(dir.resolve("a"), engine, ports, "127.0.0.2"),
                    new Daemon(dir.resolve("b"), engine, ports + 10, "127.0.0.3"), null);
        }
        Netns n = ns.get();
        Host a = null;
        try {
            a = new JkvmdHost(dir.resolve("a"), n.a, Netns.ADDRESS_A, engine, ports);
            Host b = new JkvmdHost(dir.resolve("b"), n.b, Netns.ADDRESS_B, engine, ports + 10);
            System.out.println("[jkvm] two hosts in network namespaces " + n.a + " (" + a.tcpUri() + ") and " + n.b
                    + " (" + b.tcpUri() + "); virsh runs in " + n.a);
            return new TwoHosts(a, b, n);
        } catch (RuntimeException | Error e) {
            if (a != null) {
                a.close();
            }
            n.close();
            throw e;
        }
    }

    /** True when the hosts live in network namespaces. */
    boolean namespaced() {
        return netns != null;
    }

    /** The two hosts' network namespaces {A, B}; only when {@link #namespaced()}. */
    String[] namespaces() {
        return new String[] {netns.a, netns.b};
    }

    /** The command prefix that runs a client where host A's clients sit: inside A's namespace, or here. */
    List<String> clientPrefix() {
        return netns != null ? Netns.exec(netns.a) : List.of();
    }

    /** Runs virsh where the client sits: inside A's namespace, or here. */
    Virsh.Result virsh(String uri, String... args) {
        return Virsh.run(clientPrefix(), uri, args);
    }

    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        if (Thread.currentThread() != onExit) {
            try {
                Runtime.getRuntime().removeShutdownHook(onExit);
            } catch (IllegalStateException shuttingDown) {
                // The JVM is exiting; the hook has nothing left to do.
            }
        }
        try {
            a.close();
        } finally {
            try {
                b.close();
            } finally {
                if (netns != null) {
                    netns.close();
                }
            }
        }
    }
}
