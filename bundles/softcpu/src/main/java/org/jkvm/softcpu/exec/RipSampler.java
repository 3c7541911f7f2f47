package org.jkvm.softcpu.exec;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

import org.jkvm.softcpu.cpu.Cpu;

/**
 * A profiling aid: with {@code -Djkvm.softcpu.sampleRip=FILE} a daemon thread reads the vCPU's RIP every
 * millisecond (a racy plain read: a sample may be a block's end rather than the op running) and, at JVM exit,
 * writes one line per address, {@code hex-address count}, to FILE (map them to symbols with the kernel's
 * {@code nm}). Off by default; costs nothing then.
 */
final class RipSampler {
    private RipSampler() {
    }

    static void startIfAsked(Cpu c) {
        String file = System.getProperty("jkvm.softcpu.sampleRip");
        if (file == null || file.isEmpty()) {
            return;
        }
        Map<Long, int[]> counts = new HashMap<>();
        Thread t = new Thread(() -> {
            try {
                for (;;) {
                    Thread.sleep(1);
                    long rip = c.rip;
                    synchronized (counts) {
                        counts.computeIfAbsent(rip, k -> new int[1])[0]++;
                    }
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "rip-sampler");
        t.setDaemon(true);
        t.start();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            synchronized (counts) {
                try (PrintWriter w = new PrintWriter(Files.newBufferedWriter(Path.of(file)))) {
                    counts.forEach((k, v) -> w.printf("%x %d%n", k, v[0]));
                } catch (IOException e) {
                    System.err.println("rip sampler: cannot write " + file + ": " + e);
                }
            }
        }));
    }
}
