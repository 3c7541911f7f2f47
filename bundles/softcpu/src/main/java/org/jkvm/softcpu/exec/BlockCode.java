package org.jkvm.softcpu.exec;

import org.jkvm.softcpu.cpu.Cpu;

/**
 * A block translated to JVM bytecode by {@link BlockCompiler}: its ops' {@code exec} called in order, each call
 * through a constant of the op's own class, so that HotSpot inlines it (the interpreter's loop makes one
 * megamorphic call per instruction). An abstract class rather than an interface: the run loop's call of {@link #run}
 * is megamorphic (a class per block), and a virtual call through the vtable is a load cheaper than an interface call
 * through the itable stub. Used by the owning vCPU thread only.
 */
abstract class BlockCode {
    /**
     * Runs the whole block. Before each op it stores the op's index in {@link Cpu#opIndex} (the run loop's catch
     * reads it when a {@code GuestFault} comes out); after each op but the last it stops if {@link Cpu#stopBlock}
     * is set.
     *
     * @return the number of ops that completed
     */
    public abstract int run(Cpu c);
}
