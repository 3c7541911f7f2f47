package org.jkvm.softcpu;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

import org.jkvm.hypervisor.GuestClock;
import org.jkvm.hypervisor.HvIrqChip;
import org.jkvm.hypervisor.HvVcpu;
import org.jkvm.hypervisor.HvVm;
import org.jkvm.hypervisor.HypervisorException;
import org.jkvm.hypervisor.VmOps;
import org.jkvm.memory.GuestMemory;
import org.jkvm.memory.MemoryRegion;
import org.jkvm.softcpu.exec.Runner;
import org.jkvm.softcpu.mem.PhysMemory;
import org.jkvm.softcpu.platform.SoftIrqChip;

/**
 * A software-CPU VM: the guest-physical map of its memory, its vCPUs and the exact dirty log. The dirty log is
 * fetched with the epoch handshake described in {@link PhysMemory}: bump the region's epoch, wait until each vCPU
 * inside {@code run()} has acknowledged (at its next block boundary, within a few thousand instructions) or is
 * outside {@code run()}, then drain the old epoch's bitmap. Thread-safe.
 */
public final class SoftVm implements HvVm {
    private static final AtomicInteger VM_IDS = new AtomicInteger();
    private final GuestMemory memory;
    private final PhysMemory phys;
    private final int tscKhz;
    /** Guest time: every vCPU's TSC and the platform's timers read it; paused with the VM. */
    private final GuestClock clock;
    private final List<SoftVcpu> vcpus = new CopyOnWriteArrayList<>();
    private volatile boolean closed;
    /** The interrupt controllers and timers, once created. */
    private volatile SoftIrqChip irqChip;

    SoftVm(GuestMemory memory, int tscKhz) {
        this(memory, tscKhz, new GuestClock());
    }

    /** A VM on {@code clock} (tests inject one on a host clock they move). */
    SoftVm(GuestMemory memory, int tscKhz, GuestClock clock) {
        this.memory = memory;
        this.clock = clock;
        this.phys = new PhysMemory(memory);
        this.tscKhz = tscKhz;
        List<MemoryRegion> regions = memory.regions();
        for (int r = 0; r < regions.size(); r++) {
            int index = r;
            long base = regions.get(r).gpa();
            regions.get(r).setWriteHook((off, len) -> vmmWrote(index, base, off, len));
        }
    }

    /**
     * The VMM (a device's DMA, the loader) wrote guest RAM: pages holding decoded code lose it on every vCPU at its
     * next block boundary. Costs one bitmap test per page written.
     */
    private void vmmWrote(int r, long base, long off, long len) {
        if (len <= 0) {
            return;
        }
        for (long page = off >>> 12; page <= (off + len - 1) >>> 12; page++) {
            if (phys.isCode(r, page) && phys.clearCode(r, page)) {
                for (SoftVcpu v : vcpus) {
                    v.requestInvalidate(base + (page << 12), 0, 4096);
                }
            }
        }
    }

    @Override
    public GuestClock guestClock() {
        return clock;
    }

    /**
     * Stops guest time for the TSCs and every timer at one instant (see {@link GuestClock}), and fires the platform's
     * timers that were due by then, so the paused state is complete up to that instant.
     */
    @Override
    public void pauseGuestTime() {
        clock.pause();
        SoftIrqChip chip = irqChip;
        if (chip != null) {
            chip.firePausedInstant();
        }
    }

    /**
     * Guest time goes on from the paused instant; each vCPU's kvmclock structure gets PVCLOCK_GUEST_STOPPED before
     * the vCPU next runs.
     */
    @Override
    public void resumeGuestTime() {
        if (!clock.paused()) {
            return;
        }
        for (SoftVcpu v : vcpus) {
            v.guestPaused();
        }
        clock.resume();
    }

    @Override
    public long kvmClockNanos() {
        if (vcpus.isEmpty()) {
            throw new HypervisorException("the VM has no vCPU, so no kvmclock; create vCPU 0 first");
        }
        return vcpus.get(0).kvmClockNanos();
    }

    @Override
    public void setKvmClockNanos(long nanos) {
        for (SoftVcpu v : vcpus) {
            v.setKvmClockNanos(nanos);
        }
    }

    /**
     * Creates the PC platform in Java ({@link SoftIrqChip}: PIC pair, I/O APIC, PIT, a local APIC per vCPU) with its
     * timer thread, started when the guest first arms a timer and stopped by {@link #close()}.
     */
    @Override
    public synchronized HvIrqChip createIrqChip() {
        if (closed) {
            throw new HypervisorException("cannot create the interrupt controllers: the VM is closed");
        }
        if (irqChip != null) {
            throw new HypervisorException("the interrupt controllers already exist; create them once per VM");
        }
        if (!vcpus.isEmpty()) {
            throw new HypervisorException("create the interrupt controllers before the first vCPU, so that every vCPU "
                    + "gets a local APIC");
        }
        irqChip = new SoftIrqChip(clock, "vm" + VM_IDS.incrementAndGet());
        return irqChip;
    }

    /** The software CPU always has its interrupt controllers and timers (the engine asks before creating them). */
    @Override
    public boolean irqChipSupported() {
        return true;
    }

    /** The platform, or null when {@link #createIrqChip()} was not called. */
    SoftIrqChip irqChip() {
        return irqChip;
    }

    @Override
    public HvVcpu createVcpu(int id, VmOps ops) {
        if (closed) {
            throw new HypervisorException("cannot create vCPU " + id + ": the VM is closed");
        }
        SoftVcpu v = new SoftVcpu(this, id, ops, phys, tscKhz, irqChip);
        vcpus.add(v);
        return v;
    }

    void removed(SoftVcpu v) {
        vcpus.remove(v);
    }

    /** Another vCPU decoded code on a new page: every other vCPU drops its writable TLB entries. */
    void newCodePage(SoftVcpu from) {
        for (SoftVcpu v : vcpus) {
            if (v != from) {
                v.requestWriteFlush();
            }
        }
    }

    /** A vCPU wrote to a page holding code: the other vCPUs drop what it overwrote too. */
    void codeWritten(SoftVcpu from, long gpaPage, int off, int n) {
        if (vcpus.size() < 2) {
            return;
        }
        for (SoftVcpu v : vcpus) {
            if (v != from) {
                v.requestInvalidate(gpaPage, off, n);
            }
        }
    }

    @Override
    public int dirtyLogWords(MemoryRegion region) {
        return (int) ((region.pages() + 63) / 64);
    }

    @Override
    public synchronized void fetchDirtyLog(MemoryRegion region, long[] bitmap) {
        int r = phys.indexOf(region);
        if (r < 0) {
            throw new HypervisorException("region at guest address 0x" + Long.toHexString(region.gpa())
                    + " is not part of this VM; pass one of the regions the VM was created with");
        }
        if (bitmap.length < phys.words(r)) {
            throw new HypervisorException("the dirty bitmap has " + bitmap.length + " words but the region needs "
                    + phys.words(r) + "; size it with dirtyLogWords()");
        }
        int old = phys.beginFetch(r);
        int gen = phys.generation();
        for (SoftVcpu v : vcpus) {
            awaitAck(v.runner(), gen);
        }
        phys.drain(r, old, bitmap);
    }

    private static void awaitAck(Runner rn, int gen) {
        if (rn.thread == Thread.currentThread()) {
            rn.ackFromOwnThread();
            return;
        }
        rn.waiter = Thread.currentThread();
        try {
            rn.wake();
            while (rn.inRun && rn.ackGen - gen < 0) {
                LockSupport.park(rn);
            }
        } finally {
            rn.waiter = null;
        }
    }

    /** The guest memory the VM was created with. */
    GuestMemory memory() {
        return memory;
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            for (MemoryRegion region : memory.regions()) {
                region.setWriteHook(null);
            }
            SoftIrqChip chip = irqChip;
            if (chip != null) {
                chip.close();
            }
        }
    }
}
