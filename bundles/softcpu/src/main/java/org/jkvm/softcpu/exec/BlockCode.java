package org.jkvm.softcpu.exec;

import org.jkvm.softcpu.cpu.Cpu;

/**
 * A block translated to JVM bytecode by {@link BlockCompiler}: its ops' {@code exec} called in order, each call
 * through a constant of the op's own class, so that HotSpot inlines it (the interpreter's loop makes one
 * megamorphic call per instruction). Used by the owning vCPU thread only.
 */
interface BlockCode {
    /**
     * Runs the whole block. Before each op it stores the op's index in {@link Cpu#opIndex} (the run loop's catch
     * reads it when a {@code GuestFault} comes out); after each op but the last it stops if {@link Cpu#stopBlock}
     * is set.
     *
     * @return the number of ops that completed
     */
    int run(Cpu c);
}
