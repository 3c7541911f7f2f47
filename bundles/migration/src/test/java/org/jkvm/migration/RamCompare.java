package org.jkvm.migration;

import java.nio.ByteBuffer;

import org.jkvm.memory.GuestMemory;
import org.jkvm.memory.MemoryRegion;

/** Compares two guests' RAM page by page. */
final class RamCompare {
    private RamCompare() {
    }

    /** The gpa of the first page that differs, or -1 when the RAM is identical. */
    static long firstDifference(GuestMemory a, GuestMemory b) {
        if (a.regions().size() != b.regions().size()) {
            return 0;
        }
        for (int r = 0; r < a.regions().size(); r++) {
            MemoryRegion ra = a.regions().get(r);
            MemoryRegion rb = b.regions().get(r);
            if (ra.gpa() != rb.gpa() || ra.sizeBytes() != rb.sizeBytes()) {
                return ra.gpa();
            }
            for (long off = 0; off < ra.sizeBytes(); off += 1L << 30) {
                int len = (int) Math.min(1L << 30, ra.sizeBytes() - off);
                ByteBuffer va = ra.view(off, len);
                ByteBuffer vb = rb.view(off, len);
                int m = va.mismatch(vb);
                if (m >= 0) {
                    return ra.gpa() + off + (m & ~(GuestMemory.PAGE_SIZE - 1));
                }
            }
        }
        return -1;
    }
}
