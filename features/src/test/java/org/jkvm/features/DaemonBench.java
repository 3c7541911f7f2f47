package org.jkvm.features;

import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;

import org.jkvm.remote.DomainRef;
import org.jkvm.rpc.RemoteClient;

/**
 * Issue 5's performance figures: small RPC calls (lookup by name, get info) per second on loopback TCP from one
 * client and from 50 concurrent clients, and the daemon's heap with 50 defined domains. The daemon's framework
 * runs in this JVM (as in the system tests), so the heap figure is this JVM's used heap after a GC.
 * Run: {@code bin/jkvm-bench DaemonBench} (or {@code java -cp <features test classpath>
 * org.jkvm.features.DaemonBench}).
 */
public final class DaemonBench {
    private static final long SECONDS = Long.getLong("bench.seconds", 5);

    private DaemonBench() {
    }

    public static void main(String[] args) throws Exception {
        Path dir = Files.createTempDirectory("jkvm-bench");
        try (Daemon d = new Daemon(dir, "/bin/false")) {
            long before = usedHeapAfterGc();
            try (RemoteClient c = RemoteClient.connectTcp(new java.net.InetSocketAddress("127.0.0.1", d.port))
                    .open("jkvm:///system", false)) {
                for (int i = 0; i < 50; i++) {
                    String xml = Guest.xml("bench" + i, "workload=idle");
                    c.call(11, w -> w.writeString(xml, 4 << 20), r -> null);
                }
            }
            long after = usedHeapAfterGc();
            System.out.printf("%-44s %12s%n", "figure", "value");
            System.out.printf("%-44s %9.1f MiB%n", "heap used, daemon idle (whole JVM)", before / 1048576.0);
            System.out.printf("%-44s %9.1f MiB%n", "heap used, 50 domains defined (whole JVM)", after / 1048576.0);
            for (int clients : new int[] {1, 50}) {
                Result r = calls(d.port, clients);
                System.out.printf("%-44s %9.0f /s (%d errors)%n", "lookup+info calls, " + clients + " client(s)",
                        r.calls / (double) SECONDS, r.errors);
            }
        }
    }

    record Result(long calls, long errors) {
    }

    private static Result calls(int port, int clients) throws InterruptedException {
        AtomicLong calls = new AtomicLong();
        AtomicLong errors = new AtomicLong();
        CountDownLatch start = new CountDownLatch(1);
        List<Thread> threads = new ArrayList<>();
        long end = System.nanoTime() + SECONDS * 1_000_000_000L;
        for (int t = 0; t < clients; t++) {
            String name = "bench" + (t % 50);
            Thread th = new Thread(() -> {
                try (RemoteClient c = RemoteClient.connectTcp(new java.net.InetSocketAddress("127.0.0.1", port))
                        .open("jkvm:///system", false)) {
                    start.await();
                    while (System.nanoTime() < end) {
                        try {
                            DomainRef ref = c.lookupByName(name);
                            c.domainInfo(ref);
                            calls.addAndGet(2);
                        } catch (RuntimeException e) {
                            errors.incrementAndGet();
                        }
                    }
                } catch (Exception e) {
                    errors.incrementAndGet();
                }
            });
            th.start();
            threads.add(th);
        }
        start.countDown();
        for (Thread th : threads) {
            th.join();
        }
        return new Result(calls.get(), errors.get());
    }

    private static long usedHeapAfterGc() throws InterruptedException {
        for (int i = 0; i < 3; i++) {
            System.gc();
            Thread.sleep(100);
        }
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }
}
