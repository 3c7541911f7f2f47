package org.jkvm.softcpu.oracle;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import org.jkvm.hypervisor.Hypervisor;

/**
 * Runs generated cases in batches: each batch on the host (the native harness) and then case by case on the
 * backend under test, comparing as it goes. Collects the failures (one line each, up to a limit) and per-class
 * counts.
 */
final class OracleRun {
    private OracleRun() {
    }

    /**
     * The outcome of one run.
     *
     * @param seed     the run's seed
     * @param cases    cases compared
     * @param failures cases that differed
     * @param lines    the first failure lines
     * @param regressions the first failing cases as {@link RegressionCases} lines
     * @param perClass class name -> {cases, failures, host exceptions}
     * @param hostMs   time in the native harness (including writing and reading its files)
     * @param softMs   time running the cases on the backend
     * @param backend  the backend's name
     * @param genMs    time generating
     */
    record Summary(long seed, int cases, int failures, List<String> lines, List<String> regressions,
                   Map<String, int[]> perClass, long hostMs,
                   long softMs, long genMs, String backend) {
        /** A few lines for the log: counts per class and the times. */
        String describe() {
            StringBuilder sb = new StringBuilder(String.format("seed 0x%x: %d cases, %d differ (generate %d ms, "
                    + "host %d ms, %s %d ms)", seed, cases, failures, genMs, hostMs, backend, softMs));
            perClass.forEach((k, v) -> sb.append(String.format("%n  %-7s %7d cases, %5d raise exceptions on the "
                    + "host, %d differ", k, v[0], v[2], v[1])));
            return sb.toString();
        }
    }

    /**
     * Runs cases {@code first} to {@code first + count - 1} of {@code gen} on {@code harness} and {@code hv}.
     *
     * @param batch    cases per harness batch
     * @param maxLines the most failure lines kept
     */
    static Summary run(NativeHarness harness, Hypervisor hv, CaseGenerator gen, int first, int count, int batch,
                       int maxLines) throws IOException, InterruptedException {
        List<String> lines = new ArrayList<>();
        List<String> regressions = new ArrayList<>();
        Map<String, int[]> perClass = new TreeMap<>();
        int failures = 0;
        long hostNs = 0;
        long softNs = 0;
        long genNs = 0;
        byte[] image = gen.baseImage();
        try (BackendRunner soft = new BackendRunner(hv, image)) {
            for (int from = first; from < first + count; from += batch) {
                long t0 = System.nanoTime();
                List<OracleCase> cases = new ArrayList<>();
                for (int i = from; i < Math.min(first + count, from + batch); i++) {
                    cases.add(gen.generate(i));
                }
                long t1 = System.nanoTime();
                List<OracleResult> host = harness.run(cases, image);
                long t2 = System.nanoTime();
                for (int i = 0; i < cases.size(); i++) {
                    OracleCase c = cases.get(i);
                    OracleResult h = host.get(i);
                    List<String> diffs = Comparison.differences(c, h, soft.run(c));
                    int[] stats = perClass.computeIfAbsent(className(c), k -> new int[3]);
                    stats[0]++;
                    stats[2] += h.completed() ? 0 : 1;
                    if (!diffs.isEmpty()) {
                        stats[1]++;
                        if (failures++ < maxLines) {
                            lines.add(Comparison.report(c, diffs));
                        }
                        if (regressions.size() < 10) {
                            regressions.add(RegressionCases.format(c));
                        }
                    }
                }
                genNs += t1 - t0;
                hostNs += t2 - t1;
                softNs += System.nanoTime() - t2;
            }
        }
        return new Summary(gen.seed(), count, failures, lines, regressions, perClass, hostNs / 1_000_000,
                softNs / 1_000_000, genNs / 1_000_000, hv.accelerator().displayName());
    }

    /** The class part of a case's description ({@code "ALU"} of {@code "ALU: ADD ..."}). */
    static String className(OracleCase c) {
        int colon = c.what().indexOf(':');
        return colon < 0 ? c.what() : c.what().substring(0, colon);
    }
}
