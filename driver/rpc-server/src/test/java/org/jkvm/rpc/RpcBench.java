package org.jkvm.rpc;

import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;

import org.jkvm.remote.DomainRef;

/**
 * Small-call throughput of the RPC server on loopback TCP: DOMAIN_LOOKUP_BY_NAME + DOMAIN_GET_INFO pairs against
 * the in-memory test driver with 50 defined domains, from 1 client and from 50 concurrent clients.
 *
 * <p>Run: {@code mvn -B -o test-compile -pl driver/rpc-server} then
 * {@code java -cp "$(cat driver/rpc-server/target/bench.classpath)" org.jkvm.rpc.RpcBench [seconds]}, where the
 * class path file is written by {@code mvn -B -o -q dependency:build-classpath -pl driver/rpc-server
 * -Dmdep.outputFile=target/bench.classpath -Dmdep.includeScope=test} plus {@code :target/classes:target/test-classes}.
 */
public final class RpcBench {
    private RpcBench() {
    }

    record Row(int clients, long calls, long errors, double seconds, long[] latenciesNs) {
        double rate() {
            return calls / seconds;
        }

        long percentileUs(double p) {
            if (latenciesNs.length == 0) {
                return 0;
            }
            long[] sorted = latenciesNs.clone();
            Arrays.sort(sorted);
            return sorted[(int) Math.min(sorted.length - 1, Math.round(p * (sorted.length - 1)))] / 1000;
        }
    }

    public static void main(String[] args) throws Exception {
        double seconds = args.length > 0 ? Double.parseDouble(args[0]) : 5;
        TestDriver driver = new TestDriver();
        try (RpcServer server = new RpcServer(new InMemoryDriverRegistry().register(driver))) {
            InetSocketAddress a = server.listenTcp(new InetSocketAddress("127.0.0.1", 0));
            try (RemoteClient setup = RemoteClient.connectTcp(a).open("jkvm:///system", false)) {
                for (int i = 0; i < 50; i++) {
                    String xml = "<domain type='kvm'><name>bench" + i + "</name><memory>65536</memory>"
                            + "<vcpu>1</vcpu></domain>";
                    setup.call(org.jkvm.remote.Procedures.DOMAIN_DEFINE_XML,
                            w -> w.writeString(xml, org.jkvm.remote.Programs.STRING_MAX),
                            org.jkvm.remote.RemoteCodec::readDomain);
                }
            }
            run(a, 1, 1.5); // warm-up
            List<Row> rows = new ArrayList<>();
            rows.add(run(a, 1, seconds));
            rows.add(run(a, 50, seconds));
            rows.add(shared(a, 8, seconds));
            print(rows);
            System.gc();
            long heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
            System.out.printf("heap used after GC (server + driver with 50 domains + bench client): %.1f MiB%n",
                    heap / 1048576.0);
        }
    }

    private static Row run(InetSocketAddress a, int clients, double seconds) throws Exception {
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
                try (RemoteClient c = RemoteClient.connectTcp(a).open("jkvm:///system", false)) {
                    ready.countDown();
                    go.await();
                    long end = System.nanoTime() + durationNs;
                    for (int i = 0; System.nanoTime() < end; i++) {
                        long t0 = System.nanoTime();
                        try {
                            DomainRef d = c.lookupByName("bench" + ((id + i) % 50));
                            c.domainInfo(d);
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
        return new Row(clients, calls.get(), errors.get(), elapsed, all);
    }

    /** One connection shared by {@code callers} threads: calls overlap on the wire (as virsh's job polls do). */
    private static Row shared(InetSocketAddress a, int callers, double seconds) throws Exception {
        AtomicLong calls = new AtomicLong();
        AtomicLong errors = new AtomicLong();
        long durationNs = (long) (seconds * 1e9);
        try (RemoteClient c = RemoteClient.connectTcp(a).open("jkvm:///system", false)) {
            List<Thread> threads = new ArrayList<>();
            long t0 = System.nanoTime();
            for (int t = 0; t < callers; t++) {
                int id = t;
                Thread th = new Thread(() -> {
                    long end = System.nanoTime() + durationNs;
                    for (int i = 0; System.nanoTime() < end; i++) {
                        try {
                            c.domainInfo(c.lookupByName("bench" + ((id + i) % 50)));
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
            return new Row(-callers, calls.get(), errors.get(), (System.nanoTime() - t0) / 1e9, new long[0]);
        }
    }

    private static void print(List<Row> rows) {
        System.out.printf("%-22s %10s %8s %12s %9s %9s%n", "clients", "calls", "errors", "calls/s", "p50 us",
                "p99 us");
        for (Row r : rows) {
            String who = r.clients() > 0 ? r.clients() + " connection(s)" : "1 connection x" + -r.clients()
                    + " threads";
            System.out.printf("%-22s %10d %8d %12.0f %9s %9s%n", who, r.calls(), r.errors(), r.rate(),
                    r.clients() > 0 ? r.percentileUs(0.5) : "-", r.clients() > 0 ? r.percentileUs(0.99) : "-");
        }
    }
}
