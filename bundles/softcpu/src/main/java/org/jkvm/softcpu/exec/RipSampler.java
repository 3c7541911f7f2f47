package org.jkvm.softcpu.exec;

import java.io.IOException;
import java.io.PrintWriter;
import java.lang.ref.WeakReference;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import org.jkvm.softcpu.cpu.Cpu;

/**
 * A profiling aid: with {@code -Djkvm.softcpu.sampleRip=FILE} a daemon thread reads the vCPU's RIP every
 * millisecond (a racy plain read: a sample may be a block's end rather than the op running) and, at JVM exit,
 * writes one line per address, {@code hex-address count}, to FILE (map them to symbols with the kernel's
 * {@code nm}). Each vCPU the process creates gets its own sampler and file: the first FILE, the next ones FILE.2,
 * FILE.3, ... (an engine also runs scratch VMs, e.g. the migration warm-up's, whose samples must not overwrite the
 * guest's). A sampler ends when its vCPU is no longer reachable. Off by default; costs nothing then.
 */
final class RipSampler {
    private static final AtomicInteger STARTED = new AtomicInteger();

    private RipSampler() {
    }

    static void startIfAsked(Cpu c) {
        String file = System.getProperty("jkvm.softcpu.sampleRip");
        if (file == null || file.isEmpty()) {
            return;
        }
        int n = STARTED.incrementAndGet();
        Path out = Path.of(n == 1 ? file : file + "." + n);
        Map<Long, int[]> counts = new HashMap<>();
        WeakReference<Cpu> vcpu = new WeakReference<>(c);
        Thread t = new Thread(() -> {
            try {
                for (;;) {
                    Thread.sleep(1);
                    Cpu cpu = vcpu.get();
                    if (cpu == null) {
                        return;
                    }
                    long rip = cpu.rip;
                    synchronized (counts) {
                        counts.computeIfAbsent(rip, k -> new int[1])[0]++;
                    }
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "rip-sampler-" + n);
        t.setDaemon(true);
        t.start();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            synchronized (counts) {
                try (PrintWriter w = new PrintWriter(Files.newBufferedWriter(out))) {
                    counts.forEach((k, v) -> w.printf("%x %d%n", k, v[0]));
                } catch (IOException e) {
                    System.err.println("rip sampler: cannot write " + out + ": " + e);
                }
            }
        }));
    }
}
