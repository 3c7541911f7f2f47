package org.jkvm.softcpu.exec;

import java.util.ArrayList;

import org.jkvm.softcpu.cpu.Cpu;
import org.jkvm.softcpu.cpu.GuestFault;
import org.jkvm.softcpu.decode.Dec;
import org.jkvm.softcpu.decode.Decoder;
import org.jkvm.softcpu.mem.LongMap;
import org.jkvm.softcpu.mem.Mmu;
import org.jkvm.softcpu.mem.PhysMemory;
import org.jkvm.softcpu.ops.Op;

/**
 * The decoded code of one vCPU: a direct-mapped jump cache by linear address in front of a map from guest-physical
 * page to the blocks decoded from it. A page that holds blocks is marked in {@link PhysMemory}'s code bitmap and has
 * no writable TLB entry, so the first store to it comes through the MMU's slow path, which calls
 * {@link #invalidatePage}.
 */
public final class BlockCache implements Mmu.CodeInvalidator {
    static final int MAX_OPS = 64;
    /** 64 Ki entries: a booting Linux kernel runs through far more than 4 Ki blocks between its loops. */
    private static final int JUMP_BITS = 16;

    private final Cpu c;
    private final Decoder decoder;
    private final Block[] jump = new Block[1 << JUMP_BITS];
    private final LongMap<CodePage> byPage = new LongMap<>();
    /**
     * The blocks by their first byte's guest-physical address, chained through {@link Block#samePhys} (the same
     * bytes decoded at another linear address or in another mode): a jump-cache miss finds its block without
     * scanning the page's list, which holds hundreds of blocks on a kernel's text pages.
     */
    private final LongMap<Block> byPhys = new LongMap<>();
    private final ArrayList<Op> scratch = new ArrayList<>(MAX_OPS);
    private final ArrayList<Block> removed = new ArrayList<>();
    /** Called when a page becomes a code page (other vCPUs must drop writable TLB entries to it). */
    public Runnable onNewCodePage = () -> { };
    private long blocksDecoded;

    public BlockCache(Cpu c) {
        this.c = c;
        this.decoder = new Decoder(c);
    }

    /** Number of blocks decoded so far (statistics). */
    public long blocksDecoded() {
        return blocksDecoded;
    }

    private static int hash(long lin) {
        return (int) (lin ^ (lin >>> JUMP_BITS)) & ((1 << JUMP_BITS) - 1);
    }

    /**
     * The block at the CPU's current RIP, decoding it if needed.
     *
     * @throws GuestFault for a fetch fault of its first instruction (#PF, #GP for a CS limit)
     * @throws Dec.NotRamException when the code is not in RAM
     */
    Block lookup(long lin) {
        long vpn = lin >>> 12;
        int i = (int) vpn & Cpu.TLB_MASK;
        if (c.tlbExec[i] != vpn && c.mmu.hostFor(lin, Mmu.EXEC) < 0) {
            throw new Dec.NotRamException(c.mmu.lastGpa);
        }
        long phys = c.tlbPhys[i] | (lin & 0xfff);
        int h = hash(lin);
        Block b = jump[h];
        // One branch for the fields' comparison (see Runner.successor).
        if (b != null && ((b.lin ^ lin) | (b.phys ^ phys) | (b.rip ^ c.rip) | (b.mode ^ c.decodeMode)) == 0 & b.valid
                && (b.page2 == -1 || page2Ok(b))) {
            return b;
        }
        b = find(lin, phys);
        if (b == null) {
            b = build(lin, phys);
        }
        jump[h] = b;
        return b;
    }

    private boolean page2Ok(Block b) {
        long lin2 = (b.lin | 0xfff) + 1;
        try {
            long vpn = lin2 >>> 12;
            int i = (int) vpn & Cpu.TLB_MASK;
            if (c.tlbExec[i] != vpn && c.mmu.hostFor(lin2, Mmu.EXEC) < 0) {
                return false;
            }
            return c.tlbPhys[i] == b.page2;
        } catch (GuestFault f) {
            return false;
        }
    }

    private Block find(long lin, long phys) {
        for (Block b = byPhys.get(phys); b != null; b = b.samePhys) {
            if (b.lin == lin && b.rip == c.rip && b.mode == c.decodeMode && b.valid
                    && (b.page2 == -1 || page2Ok(b))) {
                return b;
            }
        }
        return null;
    }

    /** Indexes a new block by its physical address, dropping invalid blocks from the chain it joins. */
    private void index(Block b) {
        Block head = null;
        Block tail = null;
        for (Block o = byPhys.get(b.phys); o != null; o = o.samePhys) {
            if (o.valid) {
                if (tail == null) {
                    head = o;
                } else {
                    tail.samePhys = o;
                }
                tail = o;
            }
        }
        if (tail != null) {
            tail.samePhys = null;
        }
        b.samePhys = head;
        byPhys.put(b.phys, b);
    }

    /** Takes {@code b} (invalid now) off its index chain. */
    private void unlink(Block b) {
        Block head = byPhys.get(b.phys);
        if (head == b) {
            if (b.samePhys == null) {
                byPhys.remove(b.phys);
            } else {
                byPhys.put(b.phys, b.samePhys);
            }
            return;
        }
        for (Block o = head; o != null; o = o.samePhys) {
            if (o.samePhys == b) {
                o.samePhys = b.samePhys;
                return;
            }
        }
    }

    /** Removes the index entries of the blocks that start on {@code page} (all of them are invalid now). */
    private void unindex(long page, Iterable<Block> blocks) {
        for (Block b : blocks) {
            if ((b.phys & ~0xfffL) == page) {
                byPhys.remove(b.phys);
            }
        }
    }

    private Block build(long lin, long phys) {
        Dec d = decoder.dec();
        d.startBlock(c.rip);
        scratch.clear();
        long page2 = -1;
        for (int k = 0; k < MAX_OPS; k++) {
            if (k > 0 && (d.linear(d.pos) >>> 12) != (lin >>> 12)) {
                break;
            }
            long save = d.pos;
            Op op;
            if (k == 0) {
                op = decoder.decode();
            } else {
                try {
                    op = decoder.decode();
                } catch (GuestFault | Dec.NotRamException e) {
                    d.pos = save;
                    break;
                }
            }
            if (d.secondPage != -1) {
                page2 = d.secondPage;
            }
            scratch.add(op);
            if (op.endsBlock()) {
                break;
            }
        }
        Block b = new Block(scratch.toArray(new Op[0]), c.rip, lin, phys, page2, c.decodeMode);
        if (ExecProfile.ON) {
            ExecProfile.added(b);
        }
        int from = (int) (phys & 0xfff);
        int to = from + (int) (d.pos - c.rip);
        index(b);
        register(phys & ~0xfffL, b, from, Math.min(to, 4096));
        if (page2 != -1) {
            register(page2, b, 0, Math.max(to - 4096, 1));
        }
        blocksDecoded++;
        return b;
    }

    private void register(long page, Block b, int from, int to) {
        CodePage cp = byPage.get(page);
        if (cp == null) {
            cp = new CodePage();
            byPage.put(page, cp);
        }
        long before = cp.chunks;
        cp.add(b, from, to);
        int r = c.phys.region(page);
        // A block that adds code chunks to the page: drop this vCPU's write entries to it (they cache the chunks;
        // the first block of a page also turns plain write entries into write-code ones). Most blocks land in
        // chunks already holding code, and then no entry is stale: this skips a scan of the whole TLB.
        if (cp.chunks != before || cp.blocks.size() == 1) {
            c.mmu.flushWritesTo(page);
        }
        if (r >= 0 && c.phys.markCode(r, c.phys.page(r, page))) {
            onNewCodePage.run();
        }
    }

    @Override
    public void invalidatePage(long gpaPage) {
        CodePage cp = byPage.remove(gpaPage);
        if (cp != null) {
            for (Block b : cp.blocks) {
                b.valid = false;
            }
            unindex(gpaPage, cp.blocks);
        }
    }

    @Override
    public int write(long gpaPage, int off, int n) {
        CodePage cp = byPage.get(gpaPage);
        if (cp == null) {
            return 0;
        }
        if (!cp.overlaps(off, n)) {
            return Mmu.CodeInvalidator.STILL_CODE;
        }
        removed.clear();
        boolean any = cp.invalidate(off, n, removed);
        for (Block b : removed) {
            unlink(b);
        }
        if (cp.blocks.isEmpty()) {
            byPage.remove(gpaPage);
            return any ? Mmu.CodeInvalidator.INVALIDATED : 0;
        }
        return Mmu.CodeInvalidator.STILL_CODE | (any ? Mmu.CodeInvalidator.INVALIDATED : 0);
    }

    @Override
    public long chunks(long gpaPage) {
        CodePage cp = byPage.get(gpaPage);
        return cp == null ? 0 : cp.chunks;
    }

    /** Drops every decoded block (the VMM changed RAM or registers behind the CPU's back). */
    public void clear() {
        byPage.forEachValue(cp -> {
            for (Block b : cp.blocks) {
                b.valid = false;
            }
        });
        byPage.clear();
        byPhys.clear();
        java.util.Arrays.fill(jump, null);
    }

    /** The blocks decoded from one guest-physical page and which 64-byte chunks of it they cover. */
    private static final class CodePage {
        final ArrayList<Block> blocks = new ArrayList<>();
        final ArrayList<int[]> ranges = new ArrayList<>();
        long chunks;

        void add(Block b, int from, int to) {
            blocks.add(b);
            ranges.add(new int[] {from, to});
            chunks |= mask(from, to - from);
        }

        static long mask(int off, int n) {
            return Mmu.chunkMask(off, n);
        }

        boolean overlaps(int off, int n) {
            return (chunks & mask(off, n)) != 0;
        }

        /** Invalidates the blocks whose bytes overlap [off, off + n), adding them to {@code out}; true if any. */
        boolean invalidate(int off, int n, ArrayList<Block> out) {
            boolean any = false;
            long m = 0;
            for (int i = blocks.size() - 1; i >= 0; i--) {
                int[] r = ranges.get(i);
                Block b = blocks.get(i);
                if (!b.valid || (r[0] < off + n && off < r[1])) {
                    any |= b.valid;
                    b.valid = false;
                    out.add(b);
                    blocks.remove(i);
                    ranges.remove(i);
                } else {
                    m |= mask(r[0], r[1] - r[0]);
                }
            }
            chunks = m;
            return any;
        }
    }
}
