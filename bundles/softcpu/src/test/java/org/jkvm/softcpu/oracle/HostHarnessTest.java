package org.jkvm.softcpu.oracle;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.jkvm.testkit.Require;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The oracle's host side checked on its own: hand-computed results of a few instructions, exceptions with their
 * RIP and CR2, data-area isolation between cases, determinism, and that the generator's cases are valid (every
 * case outside the fault class completes on the host unless it is marked as possibly faulting).
 */
class HostHarnessTest {
    private static final long START = Layout.CODE_VA + Layout.INSN_OFFSET;
    private static NativeHarness harness;

    @BeforeAll
    static void build() throws Exception {
        harness = NativeHarness.build(Require.command("gcc"), Path.of("target", "oracle"));
    }

    private static OracleCase handCase(int index, int[] code, long[] regs, long rflags, List<OracleCase.Patch> patches,
                                       int... extraEnds) {
        byte[] bytes = new byte[code.length];
        for (int i = 0; i < code.length; i++) {
            bytes[i] = (byte) code[i];
        }
        int[] ends = new int[extraEnds.length + 1];
        ends[0] = Layout.INSN_OFFSET + code.length;
        System.arraycopy(extraEnds, 0, ends, 1, extraEnds.length);
        long[] gprs = new long[16];
        System.arraycopy(regs, 0, gprs, 0, regs.length);
        if (gprs[Operand.RSP] == 0) {
            gprs[Operand.RSP] = Layout.STACK_TOP;
        }
        return new OracleCase(0, index, "hand", bytes, ends, gprs, rflags, patches, FlagRules.COMPARABLE,
                FlagRules.COMPARABLE, 0xFFFF, 0);
    }

    /** Hand-written cases with results worked out from the SDM (checked in {@link #handComputedResults}). */
    private static List<OracleCase> handCases() {
        long top = Layout.STACK_TOP;
        return List.of(
                // add rax, rbx: 0x7fff...ffff + 1 = 0x8000...0000: OF SF AF PF set, CF ZF clear.
                handCase(0, new int[] {0x48, 0x01, 0xD8}, new long[] {Long.MAX_VALUE, 0, 0, 1}, 0x202, List.of()),
                // div rcx with rcx = 0: #DE at the instruction, registers untouched.
                handCase(1, new int[] {0x48, 0xF7, 0xF1}, new long[] {5, 0}, 0x202, List.of()),
                // mov [rdi], rax: eight bytes change at data offset 8.
                handCase(2, new int[] {0x48, 0x89, 0x07}, new long[] {0x1122334455667788L, 0, 0, 0, 0, 0, 0,
                    Layout.DATA_VA + 8}, 0x202, List.of()),
                // int3: #BP, reported after the instruction.
                handCase(3, new int[] {0xCC}, new long[0], 0x202, List.of()),
                // mov rax, [rdi] four bytes before the end of the data area: #PF at the next page.
                handCase(4, new int[] {0x48, 0x8B, 0x07}, new long[] {0, 0, 0, 0, 0, 0, 0,
                    Layout.DATA_VA + Layout.DATA_SIZE - 4}, 0x202, List.of()),
                // jz +0x40 with ZF set, then with ZF clear.
                handCase(5, new int[] {0x74, 0x40}, new long[0], 0x242, List.of(), Layout.INSN_OFFSET + 0x42),
                handCase(6, new int[] {0x74, 0x40}, new long[0], 0x202, List.of(), Layout.INSN_OFFSET + 0x42),
                // pop rax from a patched stack, then the same load in the next case sees the base image again.
                handCase(7, new int[] {0x58}, new long[0], 0x202, List.of(new OracleCase.Patch(
                    (int) (top - Layout.DATA_VA), new byte[] {1, 2, 3, 4, 5, 6, 7, 8}))),
                handCase(8, new int[] {0x58}, new long[0], 0x202, List.of()),
                // jmp $: a hang, which the harness's watchdog ends (after 1-2 s) instead of hanging the batch.
                handCase(9, new int[] {0xEB, 0xFE}, new long[0], 0x202, List.of()),
                // popf with AC set, then a misaligned load: #AC at CPL 3 on the host; the next case must still run
                // (the fault handler clears AC before touching memory).
                handCase(10, new int[] {0x9D, 0x48, 0x8B, 0x46, 0x01}, new long[] {0, 0, 0, 0, 0, 0,
                    Layout.DATA_VA}, 0x202, List.of(new OracleCase.Patch((int) (top - Layout.DATA_VA),
                    new byte[] {0x02, 0x02, 0x04, 0, 0, 0, 0, 0}))),
                handCase(11, new int[] {0x90}, new long[0], 0x202, List.of()));
    }

    @Test
    void handComputedResults() throws Exception {
        long top = Layout.STACK_TOP;
        List<OracleCase> cases = handCases();
        List<OracleResult> r = harness.run(cases, new byte[Layout.DATA_SIZE]);

        assertEquals(-1, r.get(0).vector());
        assertEquals(0x8000000000000000L, r.get(0).gprs()[0]);
        assertEquals(0xA96L, r.get(0).rflags() & FlagRules.COMPARABLE | 2);
        assertEquals(START + 3, r.get(0).rip());

        assertEquals(0, r.get(1).vector());
        assertEquals(START, r.get(1).rip());
        assertEquals(5, r.get(1).gprs()[0]);

        assertArrayEquals(new int[] {8, 9, 10, 11, 12, 13, 14, 15}, r.get(2).changedOffsets());
        assertArrayEquals(new byte[] {(byte) 0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11}, r.get(2).changedValues());

        assertEquals(3, r.get(3).vector());
        assertEquals(START + 1, r.get(3).rip());

        assertEquals(14, r.get(4).vector());
        assertEquals(Layout.DATA_VA + Layout.DATA_SIZE, r.get(4).cr2());
        assertEquals(START, r.get(4).rip());

        assertEquals(1, r.get(5).endIndex());
        assertEquals(START + 0x42, r.get(5).rip());
        assertEquals(0, r.get(6).endIndex());

        assertEquals(0x0807060504030201L, r.get(7).gprs()[0]);
        assertEquals(top + 8, r.get(7).gprs()[Operand.RSP]);
        assertEquals(0, r.get(8).gprs()[0], "the next case must start from the base image");
        assertEquals(0, r.get(7).changedOffsets().length);

        assertEquals(OracleResult.NO_RESULT, r.get(9).vector());
        assertEquals(17, r.get(10).vector(), "#AC after POPF set AC");
        assertEquals(-1, r.get(11).vector());
    }

    @Test
    void regressionLinesRoundTrip() {
        CaseGenerator gen = new CaseGenerator(99, CpuFeatures.all());
        for (int i = 0; i < 2000; i++) {
            OracleCase c = gen.generate(i);
            OracleCase back = RegressionCases.parse(RegressionCases.format(c), i);
            assertEquals(RegressionCases.format(c), RegressionCases.format(back), "case " + i);
            assertArrayEquals(c.gprs(), back.gprs());
            assertEquals(c.seed(), back.seed());
        }
    }

    @Test
    void generatedCasesAreValidAndDeterministic() throws Exception {
        CpuFeatures all = harness.features();
        CaseGenerator gen = new CaseGenerator(0x1234, all);
        CaseGenerator again = new CaseGenerator(0x1234, all);
        List<OracleCase> cases = new ArrayList<>();
        for (int i = 0; i < 20_000; i++) {
            OracleCase c = gen.generate(i);
            assertArrayEquals(c.code(), again.generate(i).code(), "case " + i + " is not deterministic");
            cases.add(c);
        }
        List<OracleResult> first = harness.run(cases, gen.baseImage());
        List<OracleResult> second = harness.run(cases, gen.baseImage());
        List<String> bad = new ArrayList<>();
        int faultClass = 0;
        int faulted = 0;
        for (int i = 0; i < cases.size(); i++) {
            OracleCase c = cases.get(i);
            OracleResult r = first.get(i);
            List<String> diff = Comparison.differences(c, r, second.get(i));
            if (!diff.isEmpty()) {
                bad.add("not repeatable: " + Comparison.report(c, diff));
            }
            boolean faultCase = OracleRun.className(c).equals("FAULT");
            faultClass += faultCase ? 1 : 0;
            faulted += faultCase && !r.completed() ? 1 : 0;
            if (!faultCase && !r.completed() && !c.what().contains(CaseBuilder.MAY_FAULT)) {
                bad.add("faulted (vector " + r.vector() + "): " + Comparison.report(c, List.of()));
            }
        }
        assertTrue(bad.isEmpty(), bad.size() + " bad generated cases:\n" + String.join("\n",
                bad.subList(0, Math.min(20, bad.size()))));
        assertTrue(faulted > faultClass * 9 / 10, "only " + faulted + " of " + faultClass + " fault cases faulted");
    }
}
