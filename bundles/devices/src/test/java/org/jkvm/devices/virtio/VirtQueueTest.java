package org.jkvm.devices.virtio;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.jkvm.memory.MmapGuestMemory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The split ring read from a ring built by hand in guest memory (virtio 1.2, 2.7). */
class VirtQueueTest {
    private static final long DESC = 0x1000;
    private static final long AVAIL = 0x2000;
    private static final long USED = 0x3000;
    private final MmapGuestMemory mem = MmapGuestMemory.allocate(1 << 20);
    private final VirtQueue q = new VirtQueue(0, 8);

    VirtQueueTest() {
        q.setAddresses(DESC, AVAIL, USED);
        q.setReady(true);
    }

    @AfterEach
    void close() {
        mem.close();
    }

    private void desc(int i, long addr, int len, int flags, int next) {
        mem.writeLongLE(DESC + 16L * i, addr);
        mem.writeIntLE(DESC + 16L * i + 8, len);
        mem.writeShortLE(DESC + 16L * i + 12, (short) flags);
        mem.writeShortLE(DESC + 16L * i + 14, (short) next);
    }

    private void avail(int slot, int head, int newIdx) {
        mem.writeShortLE(AVAIL + 4 + 2L * slot, (short) head);
        mem.writeShortLE(AVAIL + 2, (short) newIdx);
    }

    @Test
    void popWalksAChainAndAddUsedPublishesIt() {
        assertNull(q.pop(mem), "nothing available yet");
        desc(5, 0x8000, 16, VirtQueue.DESC_NEXT, 2);
        desc(2, 0x9000, 512, VirtQueue.DESC_NEXT | VirtQueue.DESC_WRITE, 7);
        desc(7, 0xa000, 1, VirtQueue.DESC_WRITE, 0);
        avail(0, 5, 1);
        DescriptorChain c = q.pop(mem);
        assertEquals(5, c.head());
        assertEquals(3, c.segments().size());
        assertEquals(new DescriptorChain.Segment(0x9000, 512, true), c.segments().get(1));
        assertEquals(16, c.readableBytes());
        assertEquals(513, c.writableBytes());
        assertNull(q.pop(mem));
        q.addUsed(mem, 5, 513);
        assertEquals(1, mem.readShortLE(USED + 2));
        assertEquals(5, mem.readIntLE(USED + 4));
        assertEquals(513, mem.readIntLE(USED + 8));
        assertTrue(q.needsInterrupt(mem), "no NO_INTERRUPT flag");
        assertFalse(q.needsInterrupt(mem), "nothing new since");
    }

    @Test
    void withoutTheEventIndexTheNoInterruptFlagSilencesTheDevice() {
        desc(0, 0x8000, 16, 0, 0);
        avail(0, 0, 1);
        mem.writeShortLE(AVAIL, (short) VirtQueue.AVAIL_NO_INTERRUPT);
        q.addUsed(mem, q.pop(mem).head(), 0);
        assertFalse(q.needsInterrupt(mem));
    }

    @Test
    void theEventIndexAsksForAnInterruptOnlyWhenUsedEventIsPassed() {
        q.setEventIdx(true);
        assertNull(q.pop(mem));
        assertEquals(0, mem.readShortLE(USED + 4 + 8 * 8), "avail_event published on an empty queue");
        for (int i = 0; i < 4; i++) {
            desc(i, 0x8000, 16, 0, 0);
            avail(i, i, i + 1);
        }
        mem.writeShortLE(AVAIL + 4 + 2 * 8, (short) 2); // used_event: interrupt once used idx passes 2
        boolean[] asked = new boolean[4];
        for (int i = 0; i < 4; i++) {
            q.addUsed(mem, q.pop(mem).head(), 0);
            asked[i] = q.needsInterrupt(mem);
        }
        assertFalse(asked[0]);
        assertFalse(asked[1]);
        assertTrue(asked[2], "used idx went 2 -> 3, past used_event 2");
        assertFalse(asked[3]);
        assertNull(q.pop(mem));
        assertEquals(4, mem.readShortLE(USED + 4 + 8 * 8), "avail_event follows the device");
        // The index wraps at 65536: a used_event just behind the wrap still triggers.
        VirtQueueState s = q.save();
        q.restore(new VirtQueueState(s.size(), true, DESC, AVAIL, USED, 0xffff, 0xffff, 0xffff));
        desc(7, 0x8000, 16, 0, 0);
        avail(0xffff % 8, 7, 0);
        mem.writeShortLE(AVAIL + 4 + 2 * 8, (short) 0xffff);
        q.addUsed(mem, q.pop(mem).head(), 0);
        assertEquals(0, mem.readShortLE(USED + 2));
        assertTrue(q.needsInterrupt(mem));
    }

    @Test
    void brokenChainsAreRefusedWithASentence() {
        desc(0, 0x8000, 16, VirtQueue.DESC_NEXT, 1);
        desc(1, 0x8000, 16, VirtQueue.DESC_NEXT, 0);
        avail(0, 0, 1);
        VirtioException loop = assertThrows(VirtioException.class, () -> q.pop(mem));
        assertTrue(loop.getMessage().contains("loops"), loop.getMessage());
        desc(0, 0x8000, 16, VirtQueue.DESC_NEXT, 9);
        avail(1, 0, 2);
        VirtioException past = assertThrows(VirtioException.class, () -> q.pop(mem));
        assertTrue(past.getMessage().contains("past the table of 8"), past.getMessage());
        desc(0, 0x8000, 16, VirtQueue.DESC_WRITE | VirtQueue.DESC_NEXT, 1);
        desc(1, 0x8000, 16, 0, 0);
        avail(2, 0, 3);
        assertThrows(VirtioException.class, () -> q.pop(mem), "readable after writable");
        desc(0, 0x8000, 16, VirtQueue.DESC_INDIRECT, 0);
        avail(3, 0, 4);
        assertThrows(VirtioException.class, () -> q.pop(mem), "indirect was not negotiated");
        mem.writeShortLE(AVAIL + 2, (short) 100);
        VirtioException ahead = assertThrows(VirtioException.class, () -> q.pop(mem));
        assertTrue(ahead.getMessage().contains("more than 8 ahead"), ahead.getMessage());
    }

    @Test
    void stateRoundTrips() {
        q.setSize(4);
        q.setSize(3); // not a power of two: ignored
        desc(0, 0x8000, 16, 0, 0);
        avail(0, 0, 1);
        q.addUsed(mem, q.pop(mem).head(), 7);
        VirtQueueState s = q.save();
        assertEquals(new VirtQueueState(4, true, DESC, AVAIL, USED, 1, 1, 0), s);
        VirtQueue other = new VirtQueue(0, 8);
        other.restore(s);
        assertEquals(s, other.save());
        other.reset();
        assertEquals(new VirtQueueState(8, false, 0, 0, 0, 0, 0, 0), other.save());
    }
}
