package org.jkvm.softcpu.exec;

import org.jkvm.softcpu.cpu.Cpu;
import org.jkvm.softcpu.cpu.FlagState;
import org.jkvm.softcpu.cpu.GuestFault;
import org.jkvm.softcpu.cpu.Vec;
import org.jkvm.softcpu.ops.Op;
import org.jkvm.softcpu.sys.Interrupts;

/**
 * How one vCPU runs a block it has looked up: interpreted op by op, or through its translated class once the
 * block has run often enough, with the same rules either way for RIP, the retired count, faults in the middle of
 * a block and stopBlock (DESIGN.md, "Translator"). Owned by the vCPU's {@link Runner}; one thread only.
 */
final class BlockExecutor {
    /**
     * The default of {@link #translateAfter}: instructions a block retires in whole interpreted runs before it is
     * translated (so a block of n instructions after 1,000,000 / n runs). Weighing by length translates the long
     * hot blocks (the RSA self-tests' loops) sooner and the short ones later than a count of runs does: on the
     * Linux boot's profile (ExecProfile) 129 blocks leave 402 M of 1.45 G instructions interpreted where a count of
     * 1,000,000 runs translates 25 and leaves 773 M, and a count of 100,000 runs translates 185 and leaves 384 M
     * (DESIGN.md, "Translator", for the boots at 2,000,000, 1,000,000 and 500,000).
     */
    static final int DEFAULT_TRANSLATE_INSNS = 1_000_000;

    private final Cpu c;
    private final BlockCompiler compiler = new BlockCompiler();
    /**
     * When a block is translated to bytecode, read when the vCPU is made: with {@code
     * -Djkvm.softcpu.translateAfter=N} after N whole interpreted runs ({@link #perInstruction} false), else after
     * {@code -Djkvm.softcpu.translateInsns} (default {@link #DEFAULT_TRANSLATE_INSNS}) instructions retired in whole
     * interpreted runs. 0, or {@code -Djkvm.softcpu.translate=false}, keeps every block interpreted. A high threshold
     * keeps the cost of a class (its definition, then HotSpot's compilations, tens of milliseconds of a JIT thread
     * each) to the loops that repay it.
     */
    private final long translateAfter;
    /** Whether {@link #translateAfter} counts instructions (true) or runs. */
    private final boolean perInstruction;

    BlockExecutor(Cpu c) {
        this.c = c;
        Integer runs = Integer.getInteger("jkvm.softcpu.translateAfter");
        this.perInstruction = runs == null;
        long after = runs != null ? runs : Integer.getInteger("jkvm.softcpu.translateInsns", DEFAULT_TRANSLATE_INSNS);
        this.translateAfter = "false".equals(System.getProperty("jkvm.softcpu.translate")) ? 0 : Math.max(0, after);
    }

    /**
     * Runs one block: translated when it has earned it ({@link #translateAfter}), else interpreted, one instruction
     * in an interrupt shadow or under RFLAGS.TF. Sets RIP to the block's end first, so a block that ends early
     * (stopBlock) or faults leaves RIP where the run loop must go on.
     */
    void execute(Block b) {
        Op[] ops = b.ops;
        int n = ops.length;
        int limit = n;
        if (c.shadow > 0 || c.movSsShadow) {
            // One instruction runs in the STI / MOV SS shadow before interrupts are looked at again.
            limit = 1;
            c.shadow = 0;
            c.movSsShadow = false;
            c.checkIrq = true;
        }
        boolean singleStep = (c.flags & FlagState.TF) != 0;
        if (singleStep) {
            limit = 1;
        } else if (limit == n && translateAfter > 0) {
            BlockCode code = b.code;
            if (code == null && (long) ++b.runs * (perInstruction ? n : 1) >= translateAfter) {
                code = compiler.compile(b);
                b.code = code;
            }
            if (code != null) {
                runTranslated(b, code);
                return;
            }
        }
        c.rip = limit == n ? b.end : ops[0].next;
        int i = 0;
        try {
            while (i < limit) {
                Op op = ops[i++];
                op.exec(c);
                if (c.stopBlock) {
                    c.stopBlock = false;
                    if (i < limit) {
                        c.rip = op.next;
                    }
                    break;
                }
            }
        } catch (GuestFault f) {
            i--;
            c.stopBlock = false;
            c.rip = ops[i].rip;
            c.instret += i;
            Interrupts.exception(c, f);
            return;
        }
        c.instret += i;
        if (ExecProfile.ON) {
            b.profInterp += i;
        }
        if (singleStep && c.exit == null) {
            // RFLAGS.TF was set when the instruction began: a single-step trap (#DB, DR6.BS) after it.
            c.dr[6] |= 1L << 14;
            Interrupts.exception(c, c.fault(Vec.DB));
        }
    }

    /** {@link #execute} for a translated block run whole: the same RIP, retired-count and fault rules. */
    private void runTranslated(Block b, BlockCode code) {
        Op[] ops = b.ops;
        c.rip = b.end;
        long before = ExecProfile.ON ? c.instret : 0;
        int i;
        try {
            i = code.run(c);
        } catch (GuestFault f) {
            i = c.opIndex;
            c.stopBlock = false;
            c.rip = ops[i].rip;
            c.instret += i;
            if (ExecProfile.ON) {
                b.profTrans += c.instret - before;
            }
            Interrupts.exception(c, f);
            return;
        }
        if (c.stopBlock) {
            c.stopBlock = false;
            if (i < ops.length) {
                c.rip = ops[i - 1].next;
            }
        }
        c.instret += i;
        if (ExecProfile.ON) {
            b.profTrans += c.instret - before;
        }
    }

    /** Blocks this vCPU translated to bytecode so far (statistics). */
    long blocksTranslated() {
        return compiler.compiled();
    }
}
