package org.jkvm.engine.disk;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

import org.jkvm.block.BlockException;
import org.jkvm.block.BlockImage;
import org.jkvm.block.BlockImages;
import org.jkvm.block.OpenOptions;
import org.jkvm.devices.pci.PciBus;
import org.jkvm.devices.virtio.VirtioPciTransport;
import org.jkvm.devices.virtio.blk.VirtioBlk;
import org.jkvm.engine.EngineException;
import org.jkvm.memory.GuestMemory;

/**
 * The machine's open disks: one {@link BlockImage} and one virtio-blk PCI function per {@link DiskOptions.Disk},
 * each with its own I/O thread ({@code jkvm-blk-ID}), so requests never run on the vCPU thread.
 *
 * <p>Images are opened when the machine is built: read-write with their write lock, read-only with
 * {@code readonly=on}, over a temporary overlay with {@code -snapshot} or {@code snapshot=on}, and without any lock
 * or I/O on a migration destination ({@code inactive}) until {@link #activate()}. Thread-safety: built and closed on
 * the engine's main thread; {@link #flush()}, {@link #activate()}, {@link #inactivate()} and {@link #checkFree()}
 * are called with the vCPU paused.
 */
public final class Disks implements AutoCloseable {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(Disks.class);
    private final List<BlockImage> images = new ArrayList<>();
    private final List<ExecutorService> threads = new ArrayList<>();
    private final List<VirtioPciTransport> functions = new ArrayList<>();
    private final List<String> names = new ArrayList<>();
    private final List<VirtioBlk> devices = new ArrayList<>();
    private final boolean anySnapshot;

    private Disks(boolean anySnapshot) {
        this.anySnapshot = anySnapshot;
    }

    /**
     * Opens every image and attaches its virtio-blk-pci function to {@code bus} (explicit slots first, then the first
     * free ones in command-line order).
     *
     * @param inactive open without locks or I/O (a migration destination) until {@link #activate()}
     * @throws EngineException with the image's sentence when one cannot be opened (the ones opened are closed)
     */
    public static Disks open(DiskOptions options, boolean inactive, PciBus bus, GuestMemory memory) {
        boolean anySnapshot = options.snapshot()
                || options.disks().stream().anyMatch(d -> d.drive().snapshot());
        Disks disks = new Disks(anySnapshot);
        try {
            List<DiskOptions.Disk> ordered = new ArrayList<>();
            options.disks().stream().filter(d -> d.slot() >= 0).forEach(ordered::add);
            options.disks().stream().filter(d -> d.slot() < 0).forEach(ordered::add);
            for (DiskOptions.Disk d : ordered) {
                disks.add(d, options.snapshot(), inactive, bus, memory);
            }
            return disks;
        } catch (RuntimeException e) {
            disks.close();
            throw e;
        }
    }

    private void add(DiskOptions.Disk d, boolean snapshot, boolean inactive, PciBus bus, GuestMemory memory) {
        DriveOptions o = d.drive();
        BlockImage image;
        try {
            image = BlockImages.open(o.file(), OpenOptions.of(o.format()).withReadOnly(o.readOnly())
                    .withCache(o.cache()).withSnapshot(snapshot || o.snapshot()).withInactive(inactive));
        } catch (BlockException e) {
            throw new EngineException("-drive " + o.id() + ": " + e.getMessage(), e);
        }
        images.add(image);
        ThreadPoolExecutor io = new ThreadPoolExecutor(1, 1, 0, TimeUnit.MILLISECONDS, new LinkedBlockingQueue<>(),
                r -> {
                    Thread t = new Thread(r, "jkvm-blk-" + o.id());
                    t.setDaemon(true);
                    return t;
                });
        // Started now: a destination's first request to it comes from the restore inside the downtime, where
        // starting a thread cost 1-4.5 ms on a loaded host.
        io.prestartCoreThread();
        threads.add(io);
        int slot = d.slot() >= 0 ? d.slot() : bus.freeSlot();
        VirtioBlk blk = new VirtioBlk(image, o.serial(), io);
        VirtioPciTransport f = new VirtioPciTransport(blk, memory, bus.intxLine(slot), bus.msi());
        try {
            bus.attach(slot, f);
        } catch (org.jkvm.devices.DeviceException e) {
            throw new EngineException("-drive " + o.id() + ": " + e.getMessage(), e);
        }
        functions.add(f);
        devices.add(blk);
        names.add(o.id() + "@00:" + (slot < 16 ? "0" : "") + Integer.toHexString(slot) + ".0");
    }

    /** The migration sections of the virtio-blk functions, in attach order. */
    public List<org.jkvm.vmstate.Stateful<?>> sections() {
        List<org.jkvm.vmstate.Stateful<?>> out = new ArrayList<>();
        for (int i = 0; i < functions.size(); i++) {
            out.add(new VirtioBlkSection(functions.get(i), i));
        }
        return out;
    }

    /** The virtio-blk functions, in attach order. */
    public List<VirtioPciTransport> functions() {
        return List.copyOf(functions);
    }

    /** Each disk as {@code ID@00:SS.0}, for the configuration fingerprint and logs. */
    public List<String> names() {
        return List.copyOf(names);
    }

    /**
     * Each disk's I/O accounting now, in attach order; the QOM path is QEMU's for the n-th anonymous
     * {@code -device} ({@code /machine/peripheral-anon/device[n]/virtio-backend}). Thread-safe.
     */
    public List<org.jkvm.engine.BlockDeviceStats> stats() {
        List<org.jkvm.engine.BlockDeviceStats> out = new ArrayList<>();
        for (int n = 0; n < devices.size(); n++) {
            VirtioBlk d = devices.get(n);
            out.add(new org.jkvm.engine.BlockDeviceStats(id(n), "/machine/peripheral-anon/device[" + n
                    + "]/virtio-backend", d.image().path().toString(), d.stats().snapshot()));
        }
        return out;
    }

    /** Whether there are no disks. */
    public boolean isEmpty() {
        return images.isEmpty();
    }

    /**
     * Why this machine cannot migrate, or null: a temporary overlay lives only on this host (the seed's "do not use
     * -snapshot"). Other images are on shared storage: their locks move to the destination at the handover.
     */
    public String migrationBlocker() {
        if (anySnapshot) {
            return "the guest writes its disks to temporary overlays (-snapshot), which the destination cannot see; "
                    + "the seed says not to use -snapshot with migration: restart the guest without it";
        }
        return null;
    }

    /** Waits for every request taken from a queue, then flushes every image (the seed's "sync the disks"). */
    public void flush() {
        for (VirtioPciTransport f : functions) {
            f.device().quiesce();
        }
        for (BlockImage i : images) {
            if (i.active() && !i.readOnly()) {
                i.flush();
            }
        }
    }

    /**
     * A migration source right before the pause, while requests still run: writes back each writable image and
     * returns its reserved clusters ({@link BlockImage#preflush()}), so that the drain, flush and release inside the
     * downtime have little left to write. Thread-safe with the I/O threads.
     *
     * @throws EngineException naming the image whose flush failed
     */
    public void preflush() {
        for (BlockImage i : images) {
            if (i.active() && !i.readOnly()) {
                try {
                    i.preflush();
                } catch (BlockException e) {
                    throw new EngineException("flushing " + i.path() + " before the migration's stop failed: "
                            + e.getMessage(), e);
                }
            }
        }
    }

    /**
     * Takes the images' locks and starts serving I/O (a destination at the handover); does nothing on active images.
     *
     * @throws EngineException when another process still holds an image
     */
    public void activate() {
        for (BlockImage i : images) {
            if (i.active()) {
                continue;
            }
            long t0 = System.nanoTime();
            try {
                i.activate();
            } catch (BlockException e) {
                throw new EngineException(e.getMessage(), e);
            }
            // Once per handover (or per failed migration on the source): part of the guest's downtime.
            LOG.info("took {} over (locks, metadata) in {} us", i.path(), (System.nanoTime() - t0) / 1000);
        }
    }

    /**
     * Gives up every image's locks after its last write (a migration source right before the handover): waits for
     * the requests taken from the queues, flushes, then releases; requests are refused until {@link #activate()}.
     */
    public void inactivate() {
        for (VirtioPciTransport f : functions) {
            f.device().quiesce();
        }
        for (BlockImage i : images) {
            i.inactivate();
        }
    }

    /**
     * Checks, taking no lock, that no process holds one of the inactive writable images for writing (a migration
     * destination before it acknowledges: the source has given its locks up by then).
     *
     * @throws EngineException naming the image and its holder
     */
    public void checkFree() {
        for (int n = 0; n < images.size(); n++) {
            BlockImage i = images.get(n);
            if (i.active() || i.readOnly()) {
                continue;
            }
            java.util.Optional<String> holder;
            try {
                holder = BlockImages.writeLockHolder(i.path());
            } catch (BlockException e) {
                throw new EngineException("-drive " + id(n) + ": " + e.getMessage(), e);
            }
            if (holder.isPresent()) {
                throw new EngineException("-drive " + id(n) + ": " + i.path() + " is held for writing by "
                        + holder.get() + ", not by this migration's source, which gave it up; stop that process or "
                        + "start the destination on the image the source uses");
            }
        }
    }

    private String id(int n) {
        String name = names.get(n);
        return name.substring(0, name.indexOf('@'));
    }

    /** Resets every virtio-blk function (a machine reset): running requests finish first; images stay open. */
    public void reset() {
        for (VirtioPciTransport f : functions) {
            f.resetFunction();
        }
    }

    /** Waits for the I/O threads, then closes the images (flushing them) newest first; idempotent. */
    @Override
    public void close() {
        for (VirtioPciTransport f : functions) {
            f.device().reset();
        }
        for (ExecutorService t : threads) {
            t.shutdown(); // not shutdownNow: an interrupt would close a FileChannel under a late request
        }
        for (int i = images.size() - 1; i >= 0; i--) {
            try {
                images.get(i).close();
            } catch (RuntimeException e) {
                org.slf4j.LoggerFactory.getLogger(Disks.class).warn("closing {} failed: {}", images.get(i).path(),
                        e.getMessage());
            }
        }
        images.clear();
        threads.clear();
    }
}
