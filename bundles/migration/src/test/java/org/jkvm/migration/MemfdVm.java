package org.jkvm.migration;

import java.util.List;
import java.util.Map;

import org.jkvm.memory.DirtyBitmap;
import org.jkvm.memory.GuestMemory;
import org.jkvm.memory.MmapGuestMemory;
import org.jkvm.vmstate.Migratable;
import org.jkvm.vmstate.StateSection;

/**
 * A paused guest with real memfd RAM ({@link MmapGuestMemory}, what the engine uses) and nothing else: no vCPU, no
 * devices, an empty dirty log. For migrations whose cost is the RAM alone (the fill benchmark, preallocation tests).
 */
final class MemfdVm implements Migratable, AutoCloseable {
    private final MmapGuestMemory memory;
    private volatile boolean running;

    MemfdVm(long ramBytes) {
        this.memory = MmapGuestMemory.allocate(ramBytes);
    }

    @Override
    public GuestMemory memory() {
        return memory;
    }

    @Override
    public void pause() {
        running = false;
    }

    @Override
    public void resume() {
        running = true;
    }

    @Override
    public boolean isRunning() {
        return running;
    }

    @Override
    public void startDirtyLog() {
    }

    @Override
    public void stopDirtyLog() {
    }

    @Override
    public long syncDirtyLog(List<DirtyBitmap> into) {
        long n = 0;
        for (int r = 0; r < into.size(); r++) {
            n += memory.regions().get(r).vmmDirty().drainInto(into.get(r));
        }
        return n;
    }

    @Override
    public void setThrottle(int percent) {
    }

    @Override
    public int throttle() {
        return 0;
    }

    @Override
    public List<StateSection> saveState() {
        return List.of();
    }

    @Override
    public void restoreState(List<StateSection> sections) {
    }

    @Override
    public Map<String, String> configFingerprint() {
        return Map.of("ram.bytes", Long.toString(memory.totalBytes()));
    }

    @Override
    public void flushBlockDevices() {
    }

    @Override
    public void close() {
        memory.close();
    }
}
