package org.jkvm.softcpu.exec;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.jkvm.softcpu.cpu.Cpu;
import org.jkvm.softcpu.cpu.GuestFault;
import org.jkvm.softcpu.decode.Dec;
import org.jkvm.softcpu.decode.Decoder;
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
    private final Map<Long, List<Block>> byPage = new HashMap<>();
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
        List<Block> list = byPage.get(phys & ~0xfffL);
        if (list != null) {
            for (Block b : list) {
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
        register(phys & ~0xfffL, b);
        if (page2 != -1) {
            register(page2, b);
        }
        blocksDecoded++;
        return b;
    }

    private void register(long page, Block b) {
        byPage.computeIfAbsent(page, k -> new ArrayList<>()).add(b);
        int r = c.phys.region(page);
        if (r >= 0 && c.phys.markCode(r, c.phys.page(r, page))) {
            c.mmu.flushWritesTo(page);
            onNewCodePage.run();
        }
    }

    @Override
    public void invalidatePage(long gpaPage) {
        List<Block> list = byPage.remove(gpaPage);
        if (list != null) {
            for (Block b : list) {
                b.valid = false;
            }
        }
    }

    /** Drops every decoded block (the VMM changed RAM or registers behind the CPU's back). */
    public void clear() {
        for (List<Block> list : byPage.values()) {
            for (Block b : list) {
                b.valid = false;
            }
        }
        byPage.clear();
        java.util.Arrays.fill(jump, null);
    }
}
