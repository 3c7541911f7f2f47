package org.jkvm.softcpu.ops;

import org.jkvm.softcpu.cpu.Cpu;
import org.jkvm.softcpu.decode.Dec;

/**
 * One decoded instruction. Immutable after decoding and shared by every execution of its block; {@link #exec}
 * changes only the CPU. Before a block runs, RIP is set to the block's end; an instruction that transfers
 * control sets RIP itself. A fault thrown out of {@code exec} must leave the CPU as it was before the
 * instruction (the run loop restarts it at {@link #rip} after delivering the exception).
 */
public abstract class Op {
    /** RIP of this instruction. */
    public final long rip;
    /** RIP of the next instruction. */
    public final long next;

    protected Op(Dec d) {
        this.rip = d.start;
        this.next = d.pos;
    }

    /** Executes the instruction. */
    public abstract void exec(Cpu c);

    /**
     * Whether {@link #exec} cannot throw a {@code GuestFault} and cannot set {@code stopBlock} or {@code exit}: it
     * reads and writes registers, flags and RIP only. Translated blocks store no op index for such an op and test
     * no {@code stopBlock} after it (so HotSpot may also drop lazy-flag stores that the next op overwrites).
     */
    public boolean faultFree() {
        return false;
    }

    /** Whether the block must end after this instruction (control transfer, mode change, restartable REP). */
    public boolean endsBlock() {
        return false;
    }
}
