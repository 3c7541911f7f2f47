package org.jkvm.migration;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;

import org.jkvm.memory.DirtyBitmap;
import org.jkvm.memory.GuestMemory;
import org.jkvm.memory.MemoryRegion;
import org.jkvm.vmstate.BlockFlushHooks;
import org.jkvm.vmstate.Migratable;
import org.jkvm.vmstate.StateReader;
import org.jkvm.vmstate.StateSection;
import org.jkvm.vmstate.StateSet;
import org.jkvm.vmstate.StateWriter;
import org.jkvm.vmstate.Stateful;
import org.jkvm.vmstate.VmStateException;

/**
 * An in-memory {@link Migratable}: RAM in {@link FakeMemory}, a "vCPU" thread that dirties pages of a working set
 * in order (QEMU's a-b pattern: pass {@code n} writes {@code n} into the first 8 bytes of each page), a fake KVM
 * dirty log it marks, throttling that slows it, a device whose state counts the passes, and a block flush hook.
 */
final class FakeVm implements Migratable {
    private final FakeMemory memory;
    private final List<DirtyBitmap> kvmLog = new ArrayList<>();
    private final ReentrantLock vcpu = new ReentrantLock();
    private final Map<String, String> config = new TreeMap<>();
    private final BlockFlushHooks flush = new BlockFlushHooks();
    private final AtomicLong flushes = new AtomicLong();
    private final CounterDevice device = new CounterDevice();
    private final StateSet state = StateSet.of(List.of(device));
    private volatile boolean running;
    private volatile boolean logging;
    private volatile int throttle;
    private volatile long pagesPerSecond;
    private volatile long workingSetPages;
    private volatile boolean stopped;
    private volatile String blocker;
    /** The block-device hooks called, in order (flush, inactivate, activate, check), with resume. */
    private final List<String> blockEvents = new java.util.concurrent.CopyOnWriteArrayList<>();
    private volatile String lockHolder;
    private Thread dirtier;
    // The guest's position in its working set: written by whoever runs it (the vCPU thread or runFor) under vcpu.
    private long nextPage;
    private long pass = 1;

    FakeVm(FakeMemory memory, String cpuModel) {
        this.memory = memory;
        for (MemoryRegion r : memory.regions()) {
            kvmLog.add(new DirtyBitmap(r.pages()));
        }
        config.put("ram.bytes", Long.toString(memory.totalBytes()));
        config.put("cpu.model", cpuModel);
        config.put("device.fake-dev.0", "counter");
        flush.register("fake-disk0", flushes::incrementAndGet);
    }

    /** Fills every page of the first {@code pages} pages with a non-zero pattern (VMM writes, so dirty-tracked). */
    FakeVm fill(long pages, int seed) {
        ByteBuffer page = ByteBuffer.allocate(GuestMemory.PAGE_SIZE);
        for (long p = 0; p < pages; p++) {
            for (int i = 0; i < GuestMemory.PAGE_SIZE; i += 8) {
                page.putLong(i, p * 0x9E3779B97F4A7C15L + i + seed);
            }
            memory.write(p * GuestMemory.PAGE_SIZE, page.clear());
        }
        return this;
    }

    /** Starts the vCPU thread: dirties {@code workingSet} pages round-robin at {@code rate} pages/s (unthrottled). */
    FakeVm dirtying(long workingSet, long rate) {
        workingSetPages = workingSet;
        pagesPerSecond = rate;
        dirtier = new Thread(this::dirtyLoop, "fake-vcpu");
        dirtier.setDaemon(true);
        dirtier.start();
        return this;
    }

    /**
     * Sets the working set and rate without a vCPU thread: the guest then runs only when the test says, through
     * {@link #runFor}, so its dirty rate follows the job's clock instead of this host's scheduling.
     */
    FakeVm dirtyingOnDemand(long workingSet, long rate) {
        workingSetPages = workingSet;
        pagesPerSecond = rate;
        return this;
    }

    /**
     * Lets the guest run for {@code nanos} of its time: it dirties its working set round-robin at its rate, less the
     * throttle, as the vCPU thread would in that time. Nothing happens while it is paused.
     */
    void runFor(long nanos) {
        long rate = pagesPerSecond * (100 - throttle) / 100;
        if (running && rate > 0) {
            writePages(Math.max(1, nanos * rate / 1_000_000_000L));
        }
    }

    /** Makes {@link #migrationBlocker()} answer {@code reason}. */
    FakeVm blocked(String reason) {
        blocker = reason;
        return this;
    }

    @Override
    public String migrationBlocker() {
        return blocker;
    }

    FakeVm running() {
        running = true;
        return this;
    }

    void shutdown() {
        stopped = true;
        running = false;
    }

    long flushCount() {
        return flushes.get();
    }

    long devicePasses() {
        return device.passes;
    }

    CounterDevice device() {
        return device;
    }

    void config(String key, String value) {
        config.put(key, value);
    }

    private void dirtyLoop() {
        final int batch = 16;
        while (!stopped) {
            long rate = pagesPerSecond * (100 - throttle) / 100;
            if (!running || rate <= 0) {
                sleepNanos(1_000_000);
                continue;
            }
            long t0 = System.nanoTime();
            writePages(batch);
            long budget = batch * 1_000_000_000L / rate;
            sleepNanos(budget - (System.nanoTime() - t0));
        }
    }

    /** The guest's work: the next {@code n} pages of the working set get the pass number (a-b pattern). */
    private void writePages(long n) {
        vcpu.lock();
        try {
            if (!running) {
                return;
            }
            MemoryRegion r = memory.regions().get(0);
            for (long i = 0; i < n; i++) {
                ((FakeMemory.Region) r).backing.putLong((int) (nextPage * GuestMemory.PAGE_SIZE), pass);
                if (logging) {
                    kvmLog.get(0).mark(nextPage);
                }
                if (++nextPage == workingSetPages) {
                    nextPage = 0;
                    pass++;
                    device.passes = pass;
                }
            }
        } finally {
            vcpu.unlock();
        }
    }

    private static void sleepNanos(long nanos) {
        if (nanos > 0) {
            try {
                Thread.sleep(nanos / 1_000_000, (int) (nanos % 1_000_000));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    @Override
    public GuestMemory memory() {
        return memory;
    }

    @Override
    public void startDirtyLog() {
        for (DirtyBitmap b : kvmLog) {
            b.clear();
        }
        for (MemoryRegion r : memory.regions()) {
            r.vmmDirty().clear();
        }
        logging = true;
    }

    @Override
    public void stopDirtyLog() {
        logging = false;
    }

    @Override
    public long syncDirtyLog(List<DirtyBitmap> into) {
        long n = 0;
        for (int r = 0; r < kvmLog.size(); r++) {
            DirtyBitmap log = kvmLog.get(r);
            DirtyBitmap vmm = memory.regions().get(r).vmmDirty();
            for (int w = 0; w < log.wordCount(); w++) {
                long bits = log.takeWord(w) | vmm.takeWord(w);
                into.get(r).orWord(w, bits);
                n += Long.bitCount(bits);
            }
        }
        return n;
    }

    @Override
    public void setThrottle(int percent) {
        throttle = Math.max(0, Math.min(99, percent));
    }

    @Override
    public int throttle() {
        return throttle;
    }

    @Override
    public List<StateSection> saveState() {
        if (running) {
            throw new VmStateException("cannot save the state of a running VM; pause it first");
        }
        return state.save();
    }

    @Override
    public void restoreState(List<StateSection> sections) {
        state.restore(sections);
    }

    @Override
    public Map<String, String> configFingerprint() {
        return new TreeMap<>(config);
    }

    @Override
    public void flushBlockDevices() {
        flush.flushAll();
        blockEvents.add("flush");
    }

    @Override
    public void inactivateBlockDevices() {
        blockEvents.add("inactivate");
    }

    @Override
    public void activateBlockDevices() {
        blockEvents.add("activate");
    }

    @Override
    public void checkBlockDevicesFree() {
        blockEvents.add("check");
        if (lockHolder != null) {
            throw new org.jkvm.vmstate.VmStateException("fake-disk0 is held for writing by " + lockHolder);
        }
    }

    /** The block hooks and resumes so far, in order. */
    List<String> blockEvents() {
        return List.copyOf(blockEvents);
    }

    /** Makes {@link #checkBlockDevicesFree()} fail as if {@code holder} wrote the image. */
    FakeVm imageHeldBy(String holder) {
        lockHolder = holder;
        return this;
    }

    @Override
    public void pause() {
        running = false;
        vcpu.lock();
        vcpu.unlock();
    }

    @Override
    public void resume() {
        blockEvents.add("resume");
        running = true;
    }

    @Override
    public boolean isRunning() {
        return running;
    }

    /** A device with a pass counter and a 64 KiB register file, so device sections are not trivial. */
    static final class CounterDevice implements Stateful<CounterDevice.State> {
        record State(long passes, byte[] registers) {
        }

        volatile long passes;
        byte[] registers = new byte[64 << 10];

        CounterDevice() {
            for (int i = 0; i < registers.length; i++) {
                registers[i] = (byte) (i * 7 + 3);
            }
        }

        @Override
        public String stateName() {
            return "fake-dev";
        }

        @Override
        public int stateVersion() {
            return 1;
        }

        @Override
        public State saveState() {
            return new State(passes, registers.clone());
        }

        @Override
        public void restoreState(State s) {
            passes = s.passes();
            registers = s.registers();
        }

        @Override
        public void encode(State s, StateWriter out) {
            out.u64(s.passes()).bytes(s.registers());
        }

        @Override
        public State decode(StateReader in, int version) {
            State s = new State(in.u64(), in.bytes(1 << 20));
            in.expectEnd();
            return s;
        }
    }
}
