package org.jkvm.softcpu.oracle;

import static org.junit.jupiter.api.Assertions.fail;

import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;

import org.jkvm.hypervisor.Accelerator;
import org.jkvm.hypervisor.Hypervisor;
import org.jkvm.hypervisor.HypervisorProvider;
import org.jkvm.hypervisor.HypervisorUnavailableException;
import org.jkvm.testkit.Require;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Issue 11, acceptance 2: the software CPU against the host CPU. Generated instruction cases (every
 * general-purpose class, all operand sizes, random and edge operands and flags; see {@link CaseGenerator}) run
 * natively through the gcc-built harness and on the software CPU through the hypervisor seam; registers, RIP or the
 * exception, the defined flags ({@link FlagRules}) and the data area must agree. Each run compares a fixed seed's
 * cases and a new random seed's (printed), plus the fixed regression cases.
 *
 * <p>System properties: {@code oracle.cases} (random-seed cases, default 50,000; e.g. 5000000 for a deeper
 * search), {@code oracle.seed} (the random seed, to reproduce a run), {@code oracle.first} (the first case index,
 * with {@code oracle.cases=1} to replay one case), {@code oracle.fixedCases} (default 50,000).
 */
class InstructionOracleTest {
    /** The seed every run checks. */
    static final long FIXED_SEED = 0x0AC1E5EEDL;
    private static final Logger LOG = LoggerFactory.getLogger(InstructionOracleTest.class);
    private static final int BATCH = 25_000;
    private static final int SHOWN = Integer.getInteger("oracle.show", 40);

    private static NativeHarness harness;
    private static Hypervisor softCpu;
    private static CpuFeatures features;

    @BeforeAll
    static void setUp() throws Exception {
        harness = NativeHarness.build(Require.command("gcc"), Path.of("target", "oracle"));
        try {
            softCpu = HypervisorProvider.find(Accelerator.TCG, InstructionOracleTest.class.getClassLoader())
                    .open(HypervisorProvider.Options.defaults());
        } catch (HypervisorUnavailableException e) {
            Require.that(false, "the software CPU cannot be opened: " + e.getMessage());
        }
        CpuFeatures host = harness.features();
        CpuFeatures soft = CpuFeatures.fromCpuid(softCpu.supportedCpuid());
        features = host.and(soft);
        LOG.info("optional groups: host {}, software CPU {}, tested {}", host.present(), soft.present(),
                features.present());
    }

    @AfterAll
    static void tearDown() {
        if (softCpu != null) {
            softCpu.close();
        }
    }

    @Test
    void fixedSeed() throws Exception {
        check(FIXED_SEED, 0, Integer.getInteger("oracle.fixedCases", 50_000));
    }

    @Test
    void randomSeed() throws Exception {
        long seed = Long.getLong("oracle.seed", new SecureRandom().nextLong());
        check(seed, Integer.getInteger("oracle.first", 0), Integer.getInteger("oracle.cases", 50_000));
    }

    /**
     * The fixed seed's first cases again with every block translated to bytecode before its first run (the
     * translator is otherwise reached only by blocks run 100,000 times): faults in the middle of a block, stores
     * onto the running block and every instruction class must give the same results as interpreted.
     */
    @Test
    void translatedBlocks() throws Exception {
        String old = System.getProperty("jkvm.softcpu.translateAfter");
        long before = org.jkvm.softcpu.exec.Runner.blocksTranslatedInJvm();
        long slowBefore = org.jkvm.softcpu.exec.Runner.emittedSlowPathsInJvm();
        System.setProperty("jkvm.softcpu.translateAfter", "1");
        try {
            check(FIXED_SEED, 0, Integer.getInteger("oracle.translatedCases", 14_000));
        } finally {
            if (old == null) {
                System.clearProperty("jkvm.softcpu.translateAfter");
            } else {
                System.setProperty("jkvm.softcpu.translateAfter", old);
            }
        }
        long translated = org.jkvm.softcpu.exec.Runner.blocksTranslatedInJvm() - before;
        long slow = org.jkvm.softcpu.exec.Runner.emittedSlowPathsInJvm() - slowBefore;
        java.util.Set<String> forms = org.jkvm.softcpu.exec.Runner.emittedFormsInJvm();
        LOG.info("{} blocks translated, {} slow paths of emitted loads and stores, forms emitted: {}", translated,
                slow, new java.util.TreeSet<>(forms));
        org.junit.jupiter.api.Assertions.assertTrue(translated > 1000, "the cases ran through translated blocks: "
                + translated + " translated");
        // Every form the translator emits as bytecode of its own ran through the oracle (OpEmitter.emits).
        java.util.List<String> want = new java.util.ArrayList<>();
        for (int bits : new int[] {32, 64}) {
            for (String k : new String[] {"ADD", "OR", "ADC", "SBB", "AND", "SUB", "XOR", "CMP"}) {
                want.add("Alu.RR " + k + " " + bits);
                want.add("Alu.RI " + k + " " + bits);
            }
            want.add("Alu.RR TEST " + bits);
            for (String f : new String[] {"Mov.RR ", "Mov.RI ", "Mov.Lea ", "Mov.Load ", "Mov.Store ", "Unary INC ",
                    "Unary DEC ", "MulDiv.Imul ", "Mov.Cmov "}) {
                want.add(f + bits);
            }
            for (String k : new String[] {"SHL", "SHR", "SAR"}) {
                want.add("Shift " + k + " " + bits);
            }
            for (String k : new String[] {"ADD", "OR", "ADC", "SBB", "AND", "SUB", "XOR", "CMP"}) {
                want.add("Alu.GE " + k + " " + bits);
            }
        }
        want.addAll(List.of("Branch.Jcc", "Branch.Jmp", "Mov.Extend Z m 8", "Mov.Extend S m 8", "Mov.Extend Z m 16",
                "Mov.Extend S m 16", "Mov.Extend S m 32"));
        want.addAll(List.of("MulDiv MUL 64", "MulDiv IMUL 64", "Mov.Setcc 8", "Mov.Extend Z 8", "Mov.Extend S 8",
                "Mov.Extend Z 16", "Mov.Extend S 16", "Mov.Extend S 32"));
        want.removeAll(forms);
        org.junit.jupiter.api.Assertions.assertEquals(java.util.List.of(), want, "emitted forms the cases missed");
        org.junit.jupiter.api.Assertions.assertTrue(slow > 100, "slow paths of emitted loads/stores: " + slow);
    }

    @Test
    void regressionCases() throws Exception {
        List<OracleCase> cases = RegressionCases.load();
        List<String> lines = new ArrayList<>();
        for (OracleCase c : cases) {
            byte[] image = new CaseGenerator(c.seed(), features).baseImage();
            OracleResult host = harness.run(List.of(c), image).get(0);
            try (BackendRunner soft = new BackendRunner(softCpu, image)) {
                List<String> d = Comparison.differences(c, host, soft.run(c));
                if (!d.isEmpty()) {
                    lines.add(Comparison.report(c, d));
                }
            }
        }
        LOG.info("{} regression cases, {} differ", cases.size(), lines.size());
        if (!lines.isEmpty()) {
            fail(lines.size() + " of " + cases.size() + " regression cases differ:\n" + String.join("\n", lines));
        }
    }

    private static void check(long seed, int first, int count) throws Exception {
        LOG.info("oracle seed 0x{} (rerun with -Doracle.seed={}), {} cases from {}", Long.toHexString(seed), seed,
                count, first);
        OracleRun.Summary s = OracleRun.run(harness, softCpu, new CaseGenerator(seed, features), first, count, BATCH,
                SHOWN);
        LOG.info(s.describe());
        if (s.failures() > 0) {
            fail(String.format("%d of %d cases differ between the host CPU and the software CPU (seed 0x%x = %d; "
                    + "first %d shown, one line each: seed/index, class and operands, bytes, disassembly, "
                    + "differences, inputs):%n%s%nregression lines for the first ones:%n%s", s.failures(), count,
                    seed, seed, s.lines().size(), String.join("\n", s.lines()), String.join("\n", s.regressions())));
        }
    }
}
