package org.jkvm.softcpu.oracle;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Generates oracle cases deterministically: case {@code i} of seed {@code s} depends only on {@code (s, i)} and
 * the feature set, so a failure's seed and index regenerate it. Classes are chosen by weight (see {@link #CLASSES});
 * the data area's base image depends on the seed only.
 */
public final class CaseGenerator {
    /** The classes and their weights (out of the sum). */
    private static final List<Weighted> CLASSES = List.of(
            new Weighted(new AluGen(), 20), new Weighted(new MulDivGen(), 10), new Weighted(new ShiftGen(), 12),
            new Weighted(new BitGen(), 9), new Weighted(new ExtGen(), 5), new Weighted(new MoveGen(), 10),
            new Weighted(new AtomicGen(), 8), new Weighted(new CondGen(), 7), new Weighted(new StackGen(), 7),
            new Weighted(new StringGen(), 7), new Weighted(new BranchGen(), 8), new Weighted(new FaultGen(), 3),
            new Weighted(new ChainGen(), 8), new Weighted(new SmcGen(), 2), new Weighted(new PrefixGen(), 2),
            new Weighted(new X87Gen(), 12), new Weighted(new SseGen(), 12), new Weighted(new SimdGen(), 10));

    /**
     * Classes whose cases may run several times in a loop: not branches, faults or self-modifying code, and not
     * the stack class (a second round pops memory nobody generated, e.g. random flags for POPF).
     */
    private static final java.util.Set<String> REPEATABLE = java.util.Set.of("ALU", "MULDIV", "SHIFT", "BITS",
            "EXT", "MOVE", "ATOMIC", "COND", "CHAIN", "PREFIX");

    private final long seed;
    private final CpuFeatures features;
    private final List<Weighted> classes;
    private final int total;

    /**
     * @param seed     the run's seed
     * @param features the optional groups both CPUs have
     */
    public CaseGenerator(long seed, CpuFeatures features) {
        this.seed = seed;
        this.features = features;
        List<Weighted> list = new ArrayList<>();
        // -Doracle.classes=X87,SSE: only these classes (a deeper search in a few).
        String only = System.getProperty("oracle.classes", "");
        for (Weighted w : CLASSES) {
            if (!only.isEmpty() && !java.util.Arrays.asList(only.split(",")).contains(w.gen.name())) {
                continue;
            }
            boolean fp = w.gen instanceof X87Gen || w.gen instanceof SseGen || w.gen instanceof SimdGen;
            if ((!(w.gen instanceof ExtGen) || ExtGen.available(features))
                    && (!fp || features.has(CpuFeatures.Feature.FPU) && features.has(CpuFeatures.Feature.SSE2)
                    && features.has(CpuFeatures.Feature.SSE3))) {
                list.add(w);
            }
        }
        this.classes = List.copyOf(list);
        this.total = classes.stream().mapToInt(Weighted::weight).sum();
    }

    /** The seed. */
    public long seed() {
        return seed;
    }

    /** The class names this generator produces. */
    public List<String> classNames() {
        return classes.stream().map(w -> w.gen.name()).toList();
    }

    /** Case number {@code index}. */
    public OracleCase generate(int index) {
        CaseBuilder b = new CaseBuilder(seed, index, features);
        int pick = b.rnd.nextInt(total);
        for (Weighted w : classes) {
            pick -= w.weight;
            if (pick < 0) {
                b.say(w.gen.name() + ":");
                w.gen.generate(b);
                if (REPEATABLE.contains(w.gen.name()) && b.rnd.nextInt(8) == 0) {
                    b.repeat(2 + b.rnd.nextInt(4));
                }
                return b.build();
            }
        }
        throw new IllegalStateException("weights do not add up");
    }

    /** The per-case seed: the run's seed and the index, mixed (SplittableRandom's own mixing constants). */
    static long mix(long seed, int index) {
        long z = seed + 0x9E3779B97F4A7C15L * (index + 1L);
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /** The data area's content before any case's patches: random bytes from the seed. */
    public byte[] baseImage() {
        byte[] image = new byte[Layout.DATA_SIZE];
        SplittableRandom r = new SplittableRandom(seed ^ 0x5DEECE66DL);
        for (int i = 0; i < image.length; i += 8) {
            long v = r.nextLong();
            for (int j = 0; j < 8; j++) {
                image[i + j] = (byte) (v >>> (8 * j));
            }
        }
        return image;
    }

    private record Weighted(Generator gen, int weight) {
    }
}
