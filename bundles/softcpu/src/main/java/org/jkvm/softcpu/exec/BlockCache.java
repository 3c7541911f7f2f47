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
    private static final int JUMP_BITS = 12;

    private final Cpu c;
    private final Decoder decoder;
    private final Block[] jump = new Block[1 << JUMP_BITS];
    private final LongMap<CodePage> byPage = new LongMap<>();
    private final ArrayList<Op> scratch = new ArrayList<>(MAX_OPS);
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
        if (b != null && b.lin == lin && b.phys == phys && b.rip == c.rip && b.mode == c.decodeMode && b.valid
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
        CodePage cp = byPage.get(phys & ~0xfffL);
        if (cp != null) {
            for (Block b : cp.blocks) {
                if (b.phys == phys && b.lin == lin && b.rip == c.rip && b.mode == c.decodeMode && b.valid
                        && (b.page2 == -1 || page2Ok(b))) {
                    return b;
                }
            }
        }
        return null;
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
        int from = (int) (phys & 0xfff);
        int to = from + (int) (d.pos - c.rip);
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
        cp.add(b, from, to);
        int r = c.phys.region(page);
        // Every new block changes the page's code chunks: drop this vCPU's write entries to it (they cache them).
        c.mmu.flushWritesTo(page);
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
        boolean any = cp.invalidate(off, n);
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

        /** Invalidates the blocks whose bytes overlap [off, off + n); true if any. */
        boolean invalidate(int off, int n) {
            boolean any = false;
            long m = 0;
            for (int i = blocks.size() - 1; i >= 0; i--) {
                int[] r = ranges.get(i);
                Block b = blocks.get(i);
                if (!b.valid || (r[0] < off + n && off < r[1])) {
                    any |= b.valid;
                    b.valid = false;
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
