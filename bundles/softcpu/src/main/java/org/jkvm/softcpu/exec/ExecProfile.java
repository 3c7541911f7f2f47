package org.jkvm.softcpu.exec;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.jkvm.softcpu.ops.EOp;
import org.jkvm.softcpu.ops.Op;

/**
 * A profiling aid: with {@code -Djkvm.softcpu.profile=FILE} the run loop counts, per block, the instructions it
 * retired interpreted and translated, and at JVM exit FILE gets the split (translated or interpreted, 64-bit or
 * not), the hottest blocks still interpreted (with why: under the threshold, or run partially), and the op forms
 * that run most as calls inside translated blocks and interpreted (weighted by the block's runs). Off by default
 * (a {@code static final} test the JIT folds away). Used by the vCPU thread only while running; the report is
 * written by a shutdown hook.
 */
final class ExecProfile {
    /** Whether profiling is on in this JVM. */
    static final boolean ON = System.getProperty("jkvm.softcpu.profile") != null;
    private static final List<Block> BLOCKS = new ArrayList<>();

    static {
        if (ON) {
            Path out = Path.of(System.getProperty("jkvm.softcpu.profile"));
            Runtime.getRuntime().addShutdownHook(new Thread(() -> write(out)));
        }
    }

    private ExecProfile() {
    }

    /** Registers a new block (called when profiling is on). */
    static void added(Block b) {
        synchronized (BLOCKS) {
            BLOCKS.add(b);
        }
    }

    private static String form(Op op, int mode) {
        Class<?> k = op.getClass();
        String name = k.getEnclosingClass() == null ? k.getSimpleName()
                : k.getEnclosingClass().getSimpleName() + "." + k.getSimpleName();
        if (op instanceof EOp e) {
            name += (e.isReg() ? " r" : " m") + (8 << e.size());
        }
        return name + (mode == 2 ? "" : " (mode " + mode + ")");
    }

    private static void write(Path out) {
        List<Block> all;
        synchronized (BLOCKS) {
            all = new ArrayList<>(BLOCKS);
        }
        long[] tot = new long[4];
        Map<String, long[]> called = new HashMap<>();
        Map<String, long[]> interp = new HashMap<>();
        for (Block b : all) {
            int m = b.mode == 2 ? 0 : 1;
            tot[m] += b.profTrans;
            tot[2 + m] += b.profInterp;
            int n = b.ops.length;
            for (Op op : b.ops) {
                if (b.profTrans > 0 && !(b.mode == 2 && OpEmitter.emits(op) && BlockCompiler.emitOn())) {
                    called.computeIfAbsent(form(op, b.mode), x -> new long[1])[0] += b.profTrans / n;
                }
                if (b.profInterp > 0) {
                    interp.computeIfAbsent(form(op, b.mode), x -> new long[1])[0] += b.profInterp / n;
                }
            }
        }
        long sum = tot[0] + tot[1] + tot[2] + tot[3];
        try (PrintWriter w = new PrintWriter(Files.newBufferedWriter(out))) {
            w.printf("instructions %d: translated 64-bit %d, translated other %d, interpreted 64-bit %d, "
                    + "interpreted other %d; blocks %d%n", sum, tot[0], tot[1], tot[2], tot[3], all.size());
            w.println("# hottest interpreted blocks: rip mode ops instructions runs translated");
            all.sort(Comparator.comparingLong((Block b) -> -b.profInterp));
            for (Block b : all.subList(0, Math.min(60, all.size()))) {
                w.printf("%x %d %d %d %d %s%n", b.rip, b.mode, b.ops.length, b.profInterp, b.runs, b.code != null);
            }
            w.println("# hottest translated blocks: rip mode ops instructions");
            all.sort(Comparator.comparingLong((Block b) -> -b.profTrans));
            for (Block b : all.subList(0, Math.min(40, all.size()))) {
                w.printf("%x %d %d %d%n", b.rip, b.mode, b.ops.length, b.profTrans);
            }
            top(w, "# called ops in translated blocks (form, instructions)", called);
            w.println("# every block run whole 1000 times or more: rip mode ops runs interpreted translated");
            for (Block b : all) {
                if (b.runs >= 1000) {
                    w.printf("B %x %d %d %d %d %d%n", b.rip, b.mode, b.ops.length, b.runs, b.profInterp, b.profTrans);
                }
            }
            top(w, "# ops in interpreted blocks (form, instructions)", interp);
        } catch (IOException e) {
            System.err.println("exec profile: cannot write " + out + ": " + e);
        }
    }

    private static void top(PrintWriter w, String title, Map<String, long[]> m) {
        w.println(title);
        m.entrySet().stream().sorted(Comparator.comparingLong(e -> -e.getValue()[0])).limit(50)
                .forEach(e -> w.printf("%s %d%n", e.getKey(), e.getValue()[0]));
    }
}
