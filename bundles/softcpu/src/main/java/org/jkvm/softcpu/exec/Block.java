package org.jkvm.softcpu.exec;

import org.jkvm.softcpu.ops.Op;

/**
 * A straight-line run of decoded instructions: it starts at {@link #rip} (linear {@link #lin}, guest-physical
 * {@link #phys}) in decode mode {@link #mode}, and ends after a control transfer, a mode change, a restartable REP
 * instruction, 64 instructions, or before an instruction starting on another page. Its bytes come from at most two
 * guest-physical pages; a write to either invalidates it ({@link #valid}).
 */
final class Block {
    final Op[] ops;
    final long rip;
    final long lin;
    final long phys;
    /** The second guest-physical page the last instruction reaches into, or -1. */
    final long page2;
    final int mode;
    /** RIP after the last instruction (where a block without a taken branch continues). */
    final long end;
    boolean valid = true;
    /** Blocks that ran right after this one (the run loop's successor cache; validated at each use), or null. */
    Block succ1;
    Block succ2;
    /** The next block decoded from the same physical address (BlockCache's index), or null. */
    Block samePhys;
    /** Whole runs through the interpreter so far (counts up to the translation threshold). */
    int runs;
    /** The block translated to bytecode (see BlockCompiler), or null while it is interpreted. */
    BlockCode code;
    /** Instructions retired in this block interpreted and translated (only with ExecProfile on). */
    long profInterp;
    long profTrans;

    Block(Op[] ops, long rip, long lin, long phys, long page2, int mode) {
        this.ops = ops;
        this.rip = rip;
        this.lin = lin;
        this.phys = phys;
        this.page2 = page2;
        this.mode = mode;
        this.end = ops[ops.length - 1].next;
    }
}
