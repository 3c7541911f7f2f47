package org.jkvm.softcpu.cpu;

import org.jkvm.hypervisor.VcpuExit;
import org.jkvm.hypervisor.VmOps;
import org.jkvm.softcpu.mem.Host;
import org.jkvm.softcpu.mem.Mmu;
import org.jkvm.softcpu.mem.PhysMemory;

/**
 * The mutable state of one software vCPU and its hot memory paths. Fields are public on purpose: the decoded
 * instructions ({@code ops}), the MMU and the system code all work on this one object, owned by the vCPU thread,
 * and a field access is the cheapest thing the JIT can emit. Nothing here is thread-safe except where noted.
 *
 * <p>Conventions: operand sizes are given as an index {@code s} (0 = 8 bits, 1 = 16, 2 = 32, 3 = 64); {@code r[16]}
 * is always zero (the "no register" of an address computation); segment registers are indexed ES, CS, SS, DS,
 * FS, GS (instruction encoding order), then LDTR and TR.
 */
public final class Cpu extends FlagState {
    public static final int ES = 0;
    public static final int CS = 1;
    public static final int SS = 2;
    public static final int DS = 3;
    public static final int FS = 4;
    public static final int GS = 5;
    public static final int LDTR = 6;
    public static final int TR = 7;

    /** Operand masks by size index. */
    public static final long[] MASK = {0xffL, 0xffffL, 0xffffffffL, -1L};

    public static final int TLB_BITS = 10;
    public static final int TLB_SIZE = 1 << TLB_BITS;
    public static final int TLB_MASK = TLB_SIZE - 1;

    /** General-purpose registers in encoding order; r[16] is the constant zero. */
    public final long[] r = new long[17];
    public long rip;

    // Segment registers: selector, architectural hidden base, effective base (0 for ES/CS/SS/DS in 64-bit
    // mode), byte limit, access rights (SegmentRegister.accessRights layout, bit 16 = unusable).
    public final int[] segSel = new int[8];
    public final long[] segBase = new long[8];
    public final long[] base = new long[8];
    public final long[] segLimit = new long[8];
    public final int[] segAr = new int[8];
    /** Legacy-mode valid offset range [segLo, segHi] and rights (1 read, 2 write), derived from the cache. */
    public final long[] segLo = new long[8];
    public final long[] segHi = new long[8];
    public final int[] segRw = new int[8];

    public long gdtBase;
    public int gdtLimit;
    public long idtBase;
    public int idtLimit;
    public long cr0;
    public long cr2;
    public long cr3;
    public long cr4;
    public long cr8;
    public long efer;
    public final long[] dr = new long[8];
    public int cpl;

    // Mode, derived by Modes.update() from CR0, EFER and CS.
    public boolean protectedMode;
    public boolean longMode;
    public boolean code64;
    public boolean vm86;
    /** 0 = 16-bit, 1 = 32-bit, 2 = 64-bit code (the decoder's key). */
    public int decodeMode;
    /** The stack pointer width: 0xffff, 0xffffffff or -1. */
    public long spMask;
    /** 0 = paging off, 1 = 32-bit, 2 = PAE, 3 = 4-level. */
    public int pagingMode;

    // MSRs the CPU implements.
    public long star;
    public long lstar;
    public long cstar;
    public long fmask;
    public long kernelGsBase;
    public long sysenterCs;
    public long sysenterEsp;
    public long sysenterEip;
    public long pat = 0x0007040600070406L;
    public long tscAux;
    public long apicBase;
    public long miscEnable = 1;
    public long xcr0 = 1;

    // The TLB: tags are linear page numbers (-1 = empty); one entry per 4 KiB page, filled for the current
    // privilege class (flushed when CPL crosses 3). A write tag exists only for RAM pages that are writable, have
    // their dirty bit set, are marked in the current dirty epoch and hold no decoded code.
    public final long[] tlbRead = new long[TLB_SIZE];
    public final long[] tlbWrite = new long[TLB_SIZE];
    public final long[] tlbExec = new long[TLB_SIZE];
    /** Write tags of writable pages that hold decoded code: stores go through the MMU's code check. */
    public final long[] tlbWriteCode = new long[TLB_SIZE];
    /** For a write-code tag: the page's code chunks (see Mmu.chunkMask) when the entry was filled. */
    public final long[] tlbCodeChunks = new long[TLB_SIZE];
    public final long[] tlbHost = new long[TLB_SIZE];
    public final long[] tlbPhys = new long[TLB_SIZE];
    /** Per entry: bit 0 global page, bit 1 from a large page. */
    public final byte[] tlbFlags = new byte[TLB_SIZE];
    public int tlbLargeEntries;

    // Environment.
    public final PhysMemory phys;
    public final Mmu mmu;
    public VmOps ops;
    public final org.jkvm.softcpu.sys.Tsc tsc = new org.jkvm.softcpu.sys.Tsc(1_000_000);
    public final org.jkvm.softcpu.sys.CpuidTable cpuid = new org.jkvm.softcpu.sys.CpuidTable();
    public final org.jkvm.softcpu.sys.Msrs msrs = new org.jkvm.softcpu.sys.Msrs();
    /** The x87, MMX and SSE state. */
    public final org.jkvm.softcpu.fpu.Fpu fpu = new org.jkvm.softcpu.fpu.Fpu();
    public final int id;
    /** Per region: the dirty epoch this vCPU writes into (see PhysMemory). */
    public final int[] epochSeen;

    /** Set by other threads (kick, interrupt, dirty-log fetch): look at the vCPU's requests soon. */
    public volatile boolean attention;
    /** A kick asked run() to return. */
    public volatile boolean kickRequested;
    /** The external interrupt raised and not yet accepted, or -1 (any thread sets it, with a CAS). */
    public volatile int pendingIrq = -1;
    /** The local APIC when the VM has interrupt controllers, else null (set once, before the first run). */
    public InterruptController intc;
    /** NMIs are blocked: an NMI handler runs until its IRET. */
    public boolean nmiMasked;

    // Run-loop signals (vCPU thread only).
    /** Set by instructions that may allow a pending interrupt (STI, POPF, IRET, MOV SS...). */
    public boolean checkIrq;
    /** Instructions left in an STI / MOV SS interrupt shadow (0 = none). */
    public int shadow;
    public boolean movSsShadow;
    /** Set by an instruction that must end the run (HLT, shutdown, failure). */
    public VcpuExit exit;
    public String exitDetail = "";
    /** Set when the current block must stop after this instruction (its code was overwritten). */
    public boolean stopBlock;
    /** The index in its block of the op that runs now (written by translated blocks, read when one faults). */
    public int opIndex;
    public boolean halted;
    /** An application processor waiting for a start-up IPI (restored from another backend): runs nothing. */
    public boolean waitSipi;
    /** The CPU shut down (triple fault); only a state restore leaves this. */
    public boolean shutdown;
    public long instret;
    /** The linear address of the memory operand of the read-modify-write in progress. */
    public long rmwLin;

    public final GuestFault fault = new GuestFault();
    /** Descriptor table base and limit (Segments scratch). */
    public final long[] tableScratch = new long[3];
    /** POPA's eight values. */
    public final long[] popaScratch = new long[8];
    /** An interrupt frame being pushed (Interrupts scratch). */
    public final long[] frameScratch = new long[6];
    /** Quotient and remainder of a 128-bit division. */
    public final long[] divScratch = new long[2];
    public final byte[][] io = {new byte[1], new byte[2], new byte[4], new byte[8]};

    public Cpu(int id, PhysMemory phys) {
        this.id = id;
        this.phys = phys;
        this.mmu = new Mmu(this);
        this.epochSeen = new int[phys.regionCount()];
        mmu.flushAll();
    }

    // ---- faults ----------------------------------------------------------------------------------------------

    /** The preallocated fault, filled in: {@code throw c.fault(Vec.GP, 0)}. */
    public GuestFault fault(int vector, int error) {
        fault.vector = vector;
        fault.error = error;
        fault.hasError = Vec.hasError(vector);
        fault.address = 0;
        return fault;
    }

    /** An exception without an error code. */
    public GuestFault fault(int vector) {
        return fault(vector, 0);
    }

    // ---- registers -------------------------------------------------------------------------------------------

    /** Reads register {@code reg} at size {@code s}; for 8-bit operands {@code sh} is 8 for AH..BH. */
    public long reg(int reg, int s, int sh) {
        return (r[reg] >>> sh) & MASK[s];
    }

    /** Writes register {@code reg} at size {@code s} (32-bit writes zero the upper half, 8/16-bit merge). */
    public void setReg(int reg, int s, int sh, long v) {
        if (s >= 2) {
            r[reg] = v & MASK[s];
        } else {
            long m = MASK[s] << sh;
            r[reg] = (r[reg] & ~m) | ((v << sh) & m);
        }
    }

    // ---- linear addresses ------------------------------------------------------------------------------------

    /**
     * The linear address of offset {@code ea} in segment {@code seg} for an access of {@code n} bytes, with the
     * legacy-mode limit and rights checks (#GP, or #SS for the stack segment) and, in 64-bit mode, the canonical
     * check (#SS(0) for stack-segment references, #GP(0) otherwise: SDM vol. 3, 6.15).
     */
    public long addr(int seg, long ea, int n, boolean write) {
        if (code64) {
            long lin = base[seg] + ea;
            if (((lin << 16) >> 16) != lin) {
                throw fault(seg == SS ? Vec.SS : Vec.GP, 0);
            }
            return lin;
        }
        if (ea < segLo[seg] || ea + n - 1 > segHi[seg] || (segRw[seg] & (write ? 2 : 1)) == 0) {
            throw fault(seg == SS ? Vec.SS : Vec.GP, 0);
        }
        return (base[seg] + ea) & 0xffffffffL;
    }

    // ---- memory (linear) -------------------------------------------------------------------------------------

    /** Reads {@code 1 << s} bytes at linear {@code lin}, zero-extended. */
    public long read(long lin, int s) {
        long vpn = lin >>> 12;
        int i = (int) vpn & TLB_MASK;
        if (tlbRead[i] == vpn && (lin & 0xfff) <= 4096 - (1 << s)) {
            long a = tlbHost[i] + (lin & 0xfff);
            switch (s) {
                case 0: return Host.U.getByte(a) & 0xffL;
                case 1: return Host.U.getShort(a) & 0xffffL;
                case 2: return Host.U.getInt(a) & 0xffffffffL;
                default: return Host.U.getLong(a);
            }
        }
        return mmu.readSlow(lin, s);
    }

    /** Writes the low {@code 1 << s} bytes of {@code v} at linear {@code lin}. */
    public void write(long lin, int s, long v) {
        long vpn = lin >>> 12;
        int i = (int) vpn & TLB_MASK;
        if (tlbWrite[i] == vpn && (lin & 0xfff) <= 4096 - (1 << s)) {
            long a = tlbHost[i] + (lin & 0xfff);
            switch (s) {
                case 0: Host.U.putByte(a, (byte) v); break;
                case 1: Host.U.putShort(a, (short) v); break;
                case 2: Host.U.putInt(a, (int) v); break;
                default: Host.U.putLong(a, v); break;
            }
            return;
        }
        mmu.writeSlow(lin, s, v);
    }

    /** Checks that {@code lin} can be written (read-modify-write operands fault before anything changes). */
    public void probeWrite(long lin, int s) {
        long vpn = lin >>> 12;
        int i = (int) vpn & TLB_MASK;
        // A write-code tag is a write permission too (the store itself goes through the MMU's code check).
        if ((tlbWrite[i] != vpn && tlbWriteCode[i] != vpn) || (lin & 0xfff) > 4096 - (1 << s)) {
            mmu.probeWriteSlow(lin, s);
        }
    }

    /** Reads for a read-modify-write: faults as a write would if the page is not writable. */
    public long readRmw(long lin, int s) {
        probeWrite(lin, s);
        return read(lin, s);
    }

    // ---- stack -----------------------------------------------------------------------------------------------

    /** Pushes the low {@code 1 << s} bytes of {@code v}. */
    public void push(long v, int s) {
        int n = 1 << s;
        long sp = (r[4] - n) & spMask;
        write(addr(SS, sp, n, true), s, v);
        r[4] = (r[4] & ~spMask) | sp;
    }

    /** Pops {@code 1 << s} bytes. */
    public long pop(int s) {
        int n = 1 << s;
        long sp = r[4] & spMask;
        long v = read(addr(SS, sp, n, false), s);
        r[4] = (r[4] & ~spMask) | ((sp + n) & spMask);
        return v;
    }

    /** Reads the stack at {@code offset} bytes above the stack pointer (for multi-part pops that may fault). */
    public long peek(int offset, int s) {
        long sp = (r[4] + offset) & spMask;
        return read(addr(SS, sp, 1 << s, false), s);
    }

    /** Adds {@code delta} to the stack pointer at its width. */
    public void adjustSp(long delta) {
        r[4] = (r[4] & ~spMask) | ((r[4] + delta) & spMask);
    }
}
