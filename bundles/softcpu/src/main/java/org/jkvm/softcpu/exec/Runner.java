package org.jkvm.softcpu.exec;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.locks.LockSupport;

import org.jkvm.hypervisor.VcpuExit;
import org.jkvm.softcpu.cpu.Cpu;
import org.jkvm.softcpu.cpu.FlagState;
import org.jkvm.softcpu.cpu.GuestFault;
import org.jkvm.softcpu.cpu.InterruptController;
import org.jkvm.softcpu.cpu.Vec;
import org.jkvm.softcpu.decode.Dec;
import org.jkvm.softcpu.mem.PhysMemory;
import org.jkvm.softcpu.sys.Interrupts;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The run loop of one vCPU: look up the block at RIP, execute it, deliver faults, and at block boundaries look at
 * what other threads asked for (kick, interrupt, dirty-log epoch). Also the vCPU side of the dirty-log handshake
 * (see {@link PhysMemory}): {@link #inRun} and {@link #ackGen} are read by fetchers, who wait for them.
 */
public final class Runner {
    private static final Logger LOG = LoggerFactory.getLogger(Runner.class);
    private static final VarHandle PENDING;

    static {
        try {
            PENDING = MethodHandles.lookup().findVarHandle(Cpu.class, "pendingIrq", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final Cpu c;
    private final PhysMemory phys;
    private final BlockExecutor executor;
    public final BlockCache cache;
    /** True while the owner thread is inside {@link #run}. */
    public volatile boolean inRun;
    /** The dirty-log generation this vCPU has acknowledged. */
    public volatile int ackGen;
    /** A fetcher waiting for this vCPU's acknowledgement, or null. */
    public volatile Thread waiter;
    /** The thread inside {@link #run}, for unparking. */
    public volatile Thread thread;
    /** Requests of other vCPUs (code invalidations, write-TLB flushes), run at block boundaries. */
    public Runnable crossRequests = () -> { };

    public Runner(Cpu c) {
        this.c = c;
        this.phys = c.phys;
        this.cache = new BlockCache(c);
        this.executor = new BlockExecutor(c);
        c.mmu.code = cache;
        RipSampler.startIfAsked(c);
    }

    /** Runs until something the engine must see. Never throws for guest behaviour. */
    public VcpuExit run() {
        thread = Thread.currentThread();
        inRun = true;
        try {
            syncDirty();
            c.checkIrq = true;
            return loop();
        } catch (RuntimeException | StackOverflowError e) {
            LOG.error("software CPU internal error at RIP 0x{}", Long.toHexString(c.rip), e);
            c.exitDetail = "internal error in the software CPU at RIP 0x" + Long.toHexString(c.rip) + ": " + e
                    + "; please report it";
            return VcpuExit.FAILED;
        } finally {
            inRun = false;
            Thread w = waiter;
            if (w != null) {
                LockSupport.unpark(w);
            }
        }
    }

    /**
     * A dirty-log fetch made on this vCPU's own thread (from inside a VmOps callback): acknowledge at once, since
     * waiting for the next block boundary would wait for ourselves. The stores made so far are in RAM; later ones
     * mark the new epoch.
     */
    public void ackFromOwnThread() {
        syncDirty();
    }

    /** Acknowledges a new dirty-log generation: adopt the regions' epochs and drop every writable TLB entry. */
    private void syncDirty() {
        int g = phys.generation();
        if (g != ackGen) {
            for (int r = 0; r < c.epochSeen.length; r++) {
                c.epochSeen[r] = phys.epoch(r);
            }
            c.mmu.flushWrites();
            ackGen = g;
            Thread w = waiter;
            if (w != null) {
                LockSupport.unpark(w);
            }
        }
    }

    private VcpuExit takeExit() {
        VcpuExit e = c.exit;
        c.exit = null;
        return e;
    }

    private VcpuExit loop() {
        if (c.shutdown) {
            return VcpuExit.SHUTDOWN;
        }
        if (c.waitSipi) {
            return sipiWait();
        }
        if (c.halted) {
            VcpuExit e = haltWait();
            if (e != null) {
                return e;
            }
        }
        Block prev = null;
        for (;;) {
            // One branch for both flags (`|`, not `||`): C2 compiles a never-taken branch as a trap, and a trap
            // deoptimises and recompiles the whole loop (DESIGN.md, "Deoptimisations during a boot").
            if (c.attention | c.checkIrq) {
                VcpuExit e = checkpoint();
                if (e != null) {
                    return e;
                }
            }
            Block b = prev == null ? null : successor(prev);
            if (b == null) {
                b = lookup(prev);
                if (b == null) {
                    if (c.exit != null) {
                        return takeExit();
                    }
                    prev = null;
                    continue;
                }
            }
            executor.execute(b);
            prev = b;
            if (c.exit != null) {
                prev = null;
                if (c.exit == VcpuExit.HLT && c.intc != null) {
                    // With a local APIC a halted vCPU waits here for an interrupt, as KVM's in-kernel one does.
                    c.exit = null;
                    VcpuExit e = haltWait();
                    if (e != null) {
                        return e;
                    }
                    continue;
                }
                return takeExit();
            }
        }
    }

    /**
     * The block at RIP through the jump cache (decoding it if new), remembered as a successor of {@code prev} (the
     * block run before, or null); null after a fetch fault was delivered (the loop goes on at the handler) or with
     * {@code c.exit} set.
     */
    private Block lookup(Block prev) {
        Block b;
        try {
            b = cache.lookup(fetchLinear());
        } catch (GuestFault f) {
            Interrupts.exception(c, f);
            return null;
        } catch (Dec.NotRamException e) {
            c.exitDetail = e.getMessage() + " (RIP 0x" + Long.toHexString(c.rip)
                    + "); the software CPU executes only from RAM";
            c.exit = VcpuExit.FAILED;
            return null;
        }
        if (prev != null && prev.valid) {
            Block s = prev.succ1;
            if (s == null || s.rip == b.rip || !s.valid) {
                prev.succ1 = b;
            } else {
                prev.succ2 = b;
            }
        }
        return b;
    }

    /**
     * The block at RIP if it is one of the two that ran after {@code prev} before, and still what the jump cache
     * would give: valid, same RIP and decode mode, its page mapped by the exec TLB as when it was decoded (64-bit
     * code only, where the linear address is RIP; a block reaching into a second page is looked up). Skips the jump
     * cache's hash and table, whose 64 Ki entries miss the host's caches (the run loop's successor cache, DESIGN.md
     * "Hot path"); else null.
     */
    private Block successor(Block prev) {
        long rip = c.rip;
        Block s = prev.succ1;
        if (s == null || s.rip != rip) {
            s = prev.succ2;
            if (s == null || s.rip != rip) {
                return null;
            }
        }
        // The checks folded into one value and one branch (each branch of its own would be a trap in C2's code
        // until the boot first fails it, DESIGN.md "Deoptimisations during a boot").
        long vpn = rip >>> 12;
        int i = (int) vpn & Cpu.TLB_MASK;
        long differ = (s.mode ^ c.decodeMode) | (s.page2 + 1) | (c.tlbExec[i] ^ vpn)
                | (c.tlbPhys[i] ^ (s.phys & ~0xfffL));
        return differ == 0 & s.valid & c.code64 ? s : null;
    }

    private long fetchLinear() {
        if (c.code64) {
            long rip = c.rip;
            if (((rip << 16) >> 16) != rip) {
                throw c.fault(Vec.GP, 0);
            }
            return rip;
        }
        long ip = c.rip & 0xffffffffL;
        c.rip = ip;
        if (ip > c.segLimit[Cpu.CS]) {
            throw c.fault(Vec.GP, 0);
        }
        return (c.base[Cpu.CS] + ip) & 0xffffffffL;
    }

    /** Blocks this vCPU translated to bytecode so far (statistics). */
    public long blocksTranslated() {
        return executor.blocksTranslated();
    }

    /**
     * The op forms that translated blocks emitted as bytecode of their own so far in this JVM (tests: names such as
     * "Alu.RR ADC 64", "Mov.Load 32"; see OpEmitter).
     */
    public static java.util.Set<String> emittedFormsInJvm() {
        return EmitStats.forms();
    }

    /** Slow paths (TLB misses, page crossings, faults) of emitted loads and stores run so far in this JVM. */
    public static long emittedSlowPathsInJvm() {
        return EmitStats.slowPaths();
    }

    /** Blocks translated to bytecode so far by every vCPU in this JVM (statistics, tests). */
    public static long blocksTranslatedInJvm() {
        return BlockCompiler.total();
    }

    private VcpuExit checkpoint() {
        if (c.attention) {
            c.attention = false;
            if (c.kickRequested) {
                c.kickRequested = false;
                return VcpuExit.INTERRUPTED;
            }
            syncDirty();
            crossRequests.run();
            if (c.pendingIrq >= 0 || c.intc != null) {
                c.checkIrq = true;
            }
        }
        if (c.checkIrq) {
            c.checkIrq = false;
            if (c.shadow == 0 && !c.movSsShadow && takeInterrupt() && c.exit != null) {
                return takeExit();
            }
        }
        return null;
    }

    /**
     * Delivers what the CPU accepts at this instruction boundary (no interrupt shadow): an NMI unless one is being
     * handled, else, with RFLAGS.IF set, an injected interrupt or the local APIC's (acknowledged here). True when an
     * event was delivered.
     */
    private boolean takeInterrupt() {
        InterruptController ic = c.intc;
        if (ic != null && ic.pending() && !c.nmiMasked && ic.takeNmi()) {
            c.nmiMasked = true;
            Interrupts.external(c, Vec.NMI);
            return true;
        }
        if ((c.flags & FlagState.IF) == 0) {
            return false;
        }
        int v = c.pendingIrq;
        if (v >= 0 && PENDING.compareAndSet(c, v, -1)) {
            Interrupts.external(c, v);
            return true;
        }
        if (ic != null && ic.pending()) {
            v = ic.acknowledge();
            if (v >= 0) {
                Interrupts.external(c, v);
                return true;
            }
        }
        return false;
    }

    /** HLT: wait until an interrupt (or NMI) can be taken (then go on) or a kick (INTERRUPTED). */
    private VcpuExit haltWait() {
        for (;;) {
            if (c.kickRequested) {
                c.kickRequested = false;
                c.attention = false;
                return VcpuExit.INTERRUPTED;
            }
            c.attention = false;
            syncDirty();
            crossRequests.run();
            if (takeInterrupt()) {
                c.halted = false;
                return c.exit != null ? takeExit() : null;
            }
            if (!c.attention) {
                LockSupport.park(this);
            }
        }
    }

    /** WAIT_FOR_SIPI: nothing runs (there is no APIC to send a start-up IPI); only a kick ends the wait. */
    private VcpuExit sipiWait() {
        for (;;) {
            if (c.kickRequested) {
                c.kickRequested = false;
                c.attention = false;
                return VcpuExit.INTERRUPTED;
            }
            c.attention = false;
            syncDirty();
            crossRequests.run();
            if (!c.attention) {
                LockSupport.park(this);
            }
        }
    }

    /** Raises an external interrupt (any thread); false if one is already pending. */
    public boolean inject(int vector) {
        if (!PENDING.compareAndSet(c, -1, vector)) {
            return false;
        }
        wake();
        return true;
    }

    /** Makes {@link #run} return INTERRUPTED soon (any thread). */
    public void kick() {
        c.kickRequested = true;
        wake();
    }

    /** Sets the attention flag and unparks a halted vCPU (any thread). */
    public void wake() {
        c.attention = true;
        Thread t = thread;
        if (t != null) {
            LockSupport.unpark(t);
        }
    }
}
