package org.jkvm.rpc;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.net.StandardSocketOptions;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

import org.jkvm.rpc.internal.ClientSession;
import org.jkvm.rpc.internal.Keepalive;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The libvirt remote protocol server: TCP and UNIX listeners and one shared thread pool that reads each client's
 * frames and runs its calls, drivers found through a {@link DriverRegistry}.
 *
 * <p>Thread-safe. Listeners may be added at any time; {@link #close()} stops them and drops every client.
 * Each client connection is independent: bad input closes that connection only.
 */
public final class RpcServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(RpcServer.class);
    /** Clients served at once; more are refused, so a flood cannot exhaust threads. */
    public static final int MAX_CLIENTS = 1024;

    private final DriverRegistry registry;
    private final ExecutorService workers;
    /** What sessions run their reading and calls on: {@link #workers}, with every task guarded. */
    private final Executor guarded;
    /** The live worker threads (each removes itself when it ends), for {@link #workerThreads()}. */
    private final Set<Thread> liveWorkers = ConcurrentHashMap.newKeySet();
    private final AtomicLong tasksFailed = new AtomicLong();
    private final ScheduledExecutorService ticker;
    private final Keepalive.Settings keepalive;
    private final List<ServerSocketChannel> listeners = new CopyOnWriteArrayList<>();
    private final List<Path> socketFiles = new CopyOnWriteArrayList<>();
    private final Set<ClientSession> sessions = ConcurrentHashMap.newKeySet();
    private final AtomicInteger threadIds = new AtomicInteger();
    private volatile boolean closed;

    /**
     * Creates a server that serves no socket until {@link #listenTcp} or {@link #listenUnix} is called.
     *
     * @param registry where CONNECT_OPEN finds a driver for the client's URI
     */
    public RpcServer(DriverRegistry registry) {
        this(registry, Options.defaults());
    }

    /**
     * Creates a server with explicit options.
     *
     * @param registry where CONNECT_OPEN finds a driver for the client's URI
     * @param options  keepalive settings and clock
     */
    public RpcServer(DriverRegistry registry, Options options) {
        this.registry = registry;
        this.keepalive = new Keepalive.Settings(options.keepaliveIntervalMs(), options.keepaliveCount(),
                options.nanoClock());
        this.workers = Executors.newCachedThreadPool(workerThreads("jkvm-rpc-worker-"));
        this.guarded = task -> workers.execute(() -> runGuarded(task));
        this.ticker = Executors.newSingleThreadScheduledExecutor(threads("jkvm-rpc-keepalive-"));
        if (options.keepaliveIntervalMs() > 0) {
            long period = Math.max(10, options.keepaliveIntervalMs() / 5);
            ticker.scheduleAtFixedRate(() -> sessions.forEach(ClientSession::keepaliveTick), period, period,
                    TimeUnit.MILLISECONDS);
        }
    }

    /**
     * Server options.
     *
     * @param keepaliveIntervalMs silence (ms) after which a client that negotiated keepalive is pinged; 0 disables
     *                            server pings (clients' own pings are always answered)
     * @param keepaliveCount      unanswered pings after which the client is disconnected
     * @param nanoClock           monotonic clock in nanoseconds, injectable for tests
     */
    public record Options(long keepaliveIntervalMs, int keepaliveCount, LongSupplier nanoClock) {
        /** libvirtd's defaults: ping after 5 s of silence, give up after 5 pings. */
        public static Options defaults() {
            return new Options(5000, 5, System::nanoTime);
        }
    }

    private ThreadFactory threads(String prefix) {
        return r -> {
            Thread t = new Thread(r, prefix + threadIds.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }

    /** Worker threads that register themselves while they live. */
    private ThreadFactory workerThreads(String prefix) {
        ThreadFactory plain = threads(prefix);
        return r -> plain.newThread(() -> {
            liveWorkers.add(Thread.currentThread());
            try {
                r.run();
            } finally {
                liveWorkers.remove(Thread.currentThread());
            }
        });
    }

    /**
     * Runs a session task so that nothing it throws ends the worker thread: calls are answered in the session
     * (an unexpected failure becomes VIR_ERR_INTERNAL_ERROR there), so what reaches this is a bug around them,
     * logged here while the thread goes back to the pool.
     */
    private void runGuarded(Runnable task) {
        try {
            task.run();
        } catch (Throwable t) {
            tasksFailed.incrementAndGet();
            LOG.error("an RPC worker task failed; the worker goes on", t);
        }
    }

    /**
     * Listens on a TCP address (port 0 picks a free port).
     *
     * @return the bound address
     * @throws RpcException when the address cannot be bound
     */
    public InetSocketAddress listenTcp(InetSocketAddress address) {
        try {
            ServerSocketChannel ch = ServerSocketChannel.open(StandardProtocolFamily.INET);
            ch.setOption(StandardSocketOptions.SO_REUSEADDR, true);
            ch.bind(address, 128);
            start(ch, "tcp " + ch.getLocalAddress());
            return (InetSocketAddress) ch.getLocalAddress();
        } catch (IOException e) {
            throw new RpcException("cannot listen on TCP " + address + ": " + e.getMessage()
                    + "; pick another address or port", e);
        }
    }

    /**
     * Listens on a UNIX socket file with mode 0600. The socket is bound under a temporary name, restricted, then
     * renamed into place, so it is never reachable with wider permissions. A stale file is replaced; a socket
     * another daemon still serves is left alone.
     *
     * @return the socket path
     * @throws RpcException when the socket cannot be created
     */
    public Path listenUnix(Path path) {
        Path abs = path.toAbsolutePath();
        Path tmp = abs.resolveSibling(abs.getFileName() + ".tmp" + ProcessHandle.current().pid());
        if (Files.exists(abs) && inUse(abs)) {
            throw new RpcException("another daemon is already listening on " + abs
                    + "; stop it or choose another UNIX socket path");
        }
        try {
            Files.createDirectories(abs.getParent());
            Files.deleteIfExists(tmp);
            ServerSocketChannel ch = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
            ch.bind(UnixDomainSocketAddress.of(tmp), 128);
            Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rw-------"));
            Files.move(tmp, abs, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            socketFiles.add(abs);
            start(ch, "unix " + abs);
            return abs;
        } catch (IOException e) {
            throw new RpcException("cannot listen on UNIX socket " + abs + ": " + e.getMessage()
                    + "; check that the folder is writable", e);
        }
    }

    /** True when something accepts connections on the socket file (a stale file refuses them). */
    private static boolean inUse(Path socket) {
        try (SocketChannel probe = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            probe.connect(UnixDomainSocketAddress.of(socket));
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private void start(ServerSocketChannel ch, String what) {
        listeners.add(ch);
        Thread t = threads("jkvm-rpc-accept-").newThread(() -> acceptLoop(ch, what));
        t.start();
        LOG.info("RPC server listening on {}", what);
    }

    private void acceptLoop(ServerSocketChannel ch, String what) {
        while (!closed && ch.isOpen()) {
            SocketChannel client;
            try {
                client = ch.accept();
            } catch (IOException e) {
                if (!closed) {
                    LOG.warn("accept on {} failed: {}", what, e.toString());
                }
                return;
            }
            serve(client, what);
        }
    }

    private void serve(SocketChannel client, String what) {
        String peer;
        try {
            peer = what.startsWith("tcp") ? String.valueOf(client.getRemoteAddress()) : what;
            if (what.startsWith("tcp")) {
                client.setOption(StandardSocketOptions.TCP_NODELAY, true);
            }
            if (sessions.size() >= MAX_CLIENTS) {
                LOG.warn("refusing client {}: already serving {} clients", peer, MAX_CLIENTS);
                client.close();
                return;
            }
        } catch (IOException e) {
            LOG.debug("client setup failed: {}", e.toString());
            return;
        }
        ClientSession[] self = new ClientSession[1];
        self[0] = new ClientSession(client, peer, registry, guarded, () -> sessions.remove(self[0]),
                keepalive);
        sessions.add(self[0]);
        try {
            guarded.execute(self[0]);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            self[0].close();
        }
    }

    /** Clients currently connected. */
    public int clientCount() {
        return sessions.size();
    }

    /**
     * The worker threads alive now (idle ones end after a minute, as in any cached pool); for tests that check no
     * input ended one.
     */
    List<Thread> workerThreads() {
        return List.copyOf(liveWorkers);
    }

    /** Session tasks that threw (each logged); a call's own failure is answered and not counted here. */
    long tasksFailed() {
        return tasksFailed.get();
    }

    /** Stops every listener, disconnects every client and removes the UNIX socket files. */
    @Override
    public void close() {
        closed = true;
        for (ServerSocketChannel ch : listeners) {
            try {
                ch.close();
            } catch (IOException e) {
                LOG.debug("closing listener failed: {}", e.toString());
            }
        }
        for (ClientSession s : sessions) {
            s.close();
        }
        for (Path p : socketFiles) {
            try {
                Files.deleteIfExists(p);
            } catch (IOException e) {
                LOG.debug("removing {} failed: {}", p, e.toString());
            }
        }
        ticker.shutdownNow();
        workers.shutdown();
        try {
            workers.awaitTermination(2, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
