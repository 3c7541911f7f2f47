package org.jkvm.rpc;

import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

import org.jkvm.remote.DomainRef;
import org.jkvm.remote.Procedures;
import org.jkvm.remote.Programs;
import org.jkvm.remote.RemoteCodec;

/**
 * Small-call throughput of the RPC server: DOMAIN_LOOKUP_BY_NAME + DOMAIN_GET_INFO pairs against the in-memory
 * test driver with 50 defined domains, over loopback TCP and a UNIX socket, from 1 client, from 50 concurrent
 * clients, and from 8 threads sharing one connection. Every call is a full round trip; errors are counted.
 *
 * <p>Run from the repository root:
 * <pre>
 * mvn -B -o -q test-compile -pl driver/rpc-server
 * mvn -B -o -q dependency:build-classpath -pl driver/rpc-server -Dmdep.outputFile=target/bench.classpath \
 *     -Dmdep.includeScope=test
 * cd driver/rpc-server &amp;&amp; java -cp "$(cat target/bench.classpath):target/classes:target/test-classes" \
 *     org.jkvm.rpc.RpcBench [seconds-per-row]
 * </pre>
 */
public final class RpcBench {
    private RpcBench() {
    }

    record Row(String who, long calls, long errors, double seconds, long[] latenciesNs) {
        double rate() {
            return calls / seconds;
        }

        String percentileUs(double p) {
            if (latenciesNs.length == 0) {
                return "-";
            }
            long[] sorted = latenciesNs.clone();
            Arrays.sort(sorted);
            return String.valueOf(sorted[(int) Math.round(p * (sorted.length - 1))] / 1000);
        }
    }

    public static void main(String[] args) throws Exception {
        double seconds = args.length > 0 ? Double.parseDouble(args[0]) : 5;
        TestDriver driver = new TestDriver();
        Path dir = Files.createTempDirectory("rpcbench");
        try (RpcServer server = new RpcServer(new InMemoryDriverRegistry().register(driver))) {
            InetSocketAddress a = server.listenTcp(new InetSocketAddress("127.0.0.1", 0));
            Path sock = server.listenUnix(dir.resolve("sock"));
            Supplier<RemoteClient> tcp = () -> RemoteClient.connectTcp(a).open("jkvm:///system", false);
            Supplier<RemoteClient> unix = () -> RemoteClient.connectUnix(sock).open("jkvm:///system", false);
            try (RemoteClient setup = tcp.get()) {
                for (int i = 0; i < 50; i++) {
                    String xml = "<domain type='kvm'><name>bench" + i + "</name><memory>65536</memory>"
                            + "<vcpu>1</vcpu></domain>";
                    setup.call(Procedures.DOMAIN_DEFINE_XML, w -> w.writeString(xml, Programs.STRING_MAX),
                            RemoteCodec::readDomain);
                }
            }
            run("warm-up", tcp, 1, 1.5);
            List<Row> rows = new ArrayList<>();
            rows.add(run("tcp, 1 client", tcp, 1, seconds));
            rows.add(run("unix, 1 client", unix, 1, seconds));
            rows.add(run("tcp, 50 clients", tcp, 50, seconds));
            rows.add(shared("tcp, 1 conn x 8 threads", tcp, 8, seconds));
            print(rows);
            System.gc();
            long heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
            System.out.printf("heap used after GC (server + test driver with 50 domains + bench clients): %.1f MiB%n",
                    heap / 1048576.0);
        } finally {
            Files.deleteIfExists(dir.resolve("sock"));
            Files.deleteIfExists(dir);
        }
    }

    /** One lookup + get-info pair; returns 2 calls. */
    private static void pair(RemoteClient c, int i) {
        DomainRef d = c.lookupByName("bench" + (i % 50));
        c.domainInfo(d);
    }

    private static Row run(String who, Supplier<RemoteClient> connect, int clients, double seconds)
            throws InterruptedException {
        AtomicLong calls = new AtomicLong();
        AtomicLong errors = new AtomicLong();
        long[][] lat = new long[clients][];
        CountDownLatch ready = new CountDownLatch(clients);
        CountDownLatch go = new CountDownLatch(1);
        long durationNs = (long) (seconds * 1e9);
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < clients; t++) {
            int id = t;
            Thread th = new Thread(() -> {
                long[] mine = new long[1 << 20];
                int n = 0;
                try (RemoteClient c = connect.get()) {
                    ready.countDown();
                    go.await();
                    long end = System.nanoTime() + durationNs;
                    for (int i = id; System.nanoTime() < end; i++) {
                        long t0 = System.nanoTime();
                        try {
                            pair(c, i);
                            calls.addAndGet(2);
                        } catch (RuntimeException e) {
                            errors.incrementAndGet();
                        }
                        if (n < mine.length) {
                            mine[n++] = (System.nanoTime() - t0) / 2;
                        }
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                lat[id] = Arrays.copyOf(mine, n);
            });
            threads.add(th);
            th.start();
        }
        ready.await();
        long t0 = System.nanoTime();
        go.countDown();
        for (Thread th : threads) {
            th.join();
        }
        double elapsed = (System.nanoTime() - t0) / 1e9;
        long[] all = Arrays.stream(lat).flatMapToLong(Arrays::stream).toArray();
        return new Row(who, calls.get(), errors.get(), elapsed, all);
    }

    /** One connection shared by {@code callers} threads: calls overlap on the wire (as virsh's job polls do). */
    private static Row shared(String who, Supplier<RemoteClient> connect, int callers, double seconds)
            throws InterruptedException {
        AtomicLong calls = new AtomicLong();
        AtomicLong errors = new AtomicLong();
        long durationNs = (long) (seconds * 1e9);
        try (RemoteClient c = connect.get()) {
            List<Thread> threads = new ArrayList<>();
            long t0 = System.nanoTime();
            for (int t = 0; t < callers; t++) {
                int id = t;
                Thread th = new Thread(() -> {
                    long end = System.nanoTime() + durationNs;
                    for (int i = id; System.nanoTime() < end; i++) {
                        try {
                            pair(c, i);
                            calls.addAndGet(2);
                        } catch (RuntimeException e) {
                            errors.incrementAndGet();
                        }
                    }
                });
                threads.add(th);
                th.start();
            }
            for (Thread th : threads) {
                th.join();
            }
            return new Row(who, calls.get(), errors.get(), (System.nanoTime() - t0) / 1e9, new long[0]);
        }
    }

    private static void print(List<Row> rows) {
        System.out.printf("%-26s %10s %8s %12s %9s %9s%n", "clients", "calls", "errors", "calls/s", "p50 us",
                "p99 us");
        for (Row r : rows) {
            System.out.printf("%-26s %10d %8d %12.0f %9s %9s%n", r.who(), r.calls(), r.errors(), r.rate(),
                    r.percentileUs(0.5), r.percentileUs(0.99));
        }
    }
}
