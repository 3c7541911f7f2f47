package org.jkvm.domainxml;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * Corpus throughput: parse + write (format) of every libvirt corpus file, on one thread, after warm-up. Prints a
 * table with files/s by wall clock and by the thread's CPU time (the CPU figure is the one-core speed, which a
 * busy shared machine does not distort). Run with {@code bin/jkvm-bench DomainXml [ROUNDS]}.
 */
public final class DomainXmlBench {
    private DomainXmlBench() {
    }

    /** {@code args[0]}: measured rounds (default 10). */
    public static void main(String[] args) throws Exception {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 10;
        List<String> texts = new ArrayList<>();
        long bytes = 0;
        try (Stream<Path> s = Files.walk(Corpus.dir())) {
            for (Path p : s.filter(p -> p.toString().endsWith(".xml")).sorted().toList()) {
                String t = Files.readString(p, StandardCharsets.UTF_8);
                texts.add(t);
                bytes += t.length();
            }
        }
        if (texts.isEmpty()) {
            System.err.println("no corpus under " + Corpus.dir() + "; the benchmark needs ../shared");
            System.exit(1);
        }
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        long sink = 0;
        for (int i = 0; i < 8; i++) {
            sink += pass(texts);
        }
        System.out.printf("corpus: %d files, %.1f MB%n%n", texts.size(), bytes / 1e6);
        System.out.printf("%-6s %12s %14s %14s%n", "round", "wall ms", "files/s wall", "files/s cpu");
        double bestCpu = 0;
        double sumCpu = 0;
        for (int r = 1; r <= rounds; r++) {
            long c0 = mx.getCurrentThreadCpuTime();
            long t0 = System.nanoTime();
            sink += pass(texts);
            double wall = (System.nanoTime() - t0) / 1e9;
            double cpu = (mx.getCurrentThreadCpuTime() - c0) / 1e9;
            double cpuRate = texts.size() / cpu;
            bestCpu = Math.max(bestCpu, cpuRate);
            sumCpu += cpuRate;
            System.out.printf("%-6d %12.0f %14.0f %14.0f%n", r, wall * 1000, texts.size() / wall, cpuRate);
        }
        System.out.printf("%nparse+write: mean %.0f files/s per core (CPU time), best %.0f; target 2000%n",
                sumCpu / rounds, bestCpu);
        System.out.println("(checksum " + sink + ")");
    }

    private static long pass(List<String> texts) {
        long n = 0;
        for (String t : texts) {
            n += DomainXml.format(DomainXml.parse(t)).length();
        }
        return n;
    }
}
