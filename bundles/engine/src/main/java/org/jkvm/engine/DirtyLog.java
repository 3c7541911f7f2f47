package org.jkvm.engine;

import java.util.List;

import org.jkvm.hypervisor.HvVm;
import org.jkvm.memory.DirtyBitmap;
import org.jkvm.memory.GuestMemory;
import org.jkvm.memory.MemoryRegion;

/**
 * Collects dirty pages: the backend's log ({@link HvVm#fetchDirtyLog}, which also starts a new round) OR the
 * VMM's own bitmap of pages written by devices and the loader. The backend logs from the VM's creation on, so
 * logging never needs to be switched on.
 *
 * <p>One native-sized scratch array per slot, reused. Thread-safe (synchronized): migration and the debug
 * command may both call it, in which case each sees only the pages dirtied since the other's call.
 */
final class DirtyLog implements AutoCloseable {
    private final HvVm vm;
    private final GuestMemory memory;
    private final long[][] scratch;

    DirtyLog(HvVm vm, GuestMemory memory) {
        this.vm = vm;
        this.memory = memory;
        List<MemoryRegion> regions = memory.regions();
        this.scratch = new long[regions.size()][];
        for (int i = 0; i < regions.size(); i++) {
            scratch[i] = new long[vm.dirtyLogWords(regions.get(i))];
        }
    }

    /**
     * Fetches and clears both logs.
     *
     * @param into one bitmap per region (ORed into), or null to only count
     * @return the number of distinct dirty pages collected
     */
    synchronized long sync(List<DirtyBitmap> into) {
        List<MemoryRegion> regions = memory.regions();
        if (into != null && into.size() != regions.size()) {
            throw new EngineException("syncDirtyLog needs " + regions.size() + " bitmaps, one per RAM region, but got "
                    + into.size());
        }
        long count = 0;
        for (int i = 0; i < regions.size(); i++) {
            MemoryRegion r = regions.get(i);
            long[] words = scratch[i];
            vm.fetchDirtyLog(r, words);
            DirtyBitmap vmm = r.vmmDirty();
            DirtyBitmap target = into == null ? null : into.get(i);
            int n = Math.min(words.length, vmm.wordCount());
            for (int w = 0; w < n; w++) {
                long bits = words[w] | vmm.takeWord(w);
                if (bits != 0) {
                    count += Long.bitCount(bits);
                    if (target != null) {
                        target.orWord(w, bits);
                    }
                }
            }
        }
        return count;
    }

    @Override
    public void close() {
        // nothing native: the scratch arrays are on the heap
    }
}
