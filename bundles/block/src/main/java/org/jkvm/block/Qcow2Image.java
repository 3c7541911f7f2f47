package org.jkvm.block;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.locks.ReentrantLock;

import org.jkvm.block.Qcow2Metadata.Run;

/**
 * A qcow2 image (version 2 and 3 read, version 3 write), over an optional backing image.
 *
 * <p><b>Concurrency.</b> One lock guards the metadata; data moves outside it. A read takes the lock only to look up
 * a run of clusters ({@link Qcow2Clusters} then reads their content); writes are {@link Qcow2Writer}'s. Clusters
 * are never reused while the image is open, so a mapping read under the lock stays valid after it is released.
 *
 * <p><b>Order of writes</b>: a new data cluster's as {@link Qcow2Writer} says; a new L2 table: its refcount - the
 * zeroed table - the L1 entry. So at every instant each reference points at a counted cluster holding what it
 * should, which is what {@code qemu-img check} verifies. This class keeps the image's life: open, activation and
 * inactivation (a migration's handover), flush and close.
 */
final class Qcow2Image implements BlockImage {
    /**
     * How often an inactive image reads its metadata ahead: once loads the classes, but the table scans then still
     * run interpreted at the activation (6-9 ms measured); a few more get them compiled (about 1 ms each here).
     */
    private static final int REHEARSALS = 12;

    private enum State { INACTIVE, ACTIVE, CLOSED }

    private final Path path;
    private final OpenOptions options;
    private final ImageFile file;
    private final ImageLock lock;
    private final BlockImage backing;
    private final long sizeBytes;
    private final boolean writable;
    private final int clusterBits;
    private final int clusterSize;
    private final Qcow2Header.Corrupt corrupt;
    private final ReentrantLock meta = new ReentrantLock();
    private final Qcow2Clusters clusters;
    private final Qcow2Writer writer;
    /** The metadata while active, else null; guarded by {@code meta}. */
    private Qcow2Metadata md;
    private volatile State state = State.INACTIVE;

    private Qcow2Image(Path path, OpenOptions options, ImageFile file, ImageLock lock, Qcow2Header h,
                       BlockImage backing) {
        this.path = path;
        this.options = options;
        this.file = file;
        this.lock = lock;
        this.backing = backing;
        this.sizeBytes = h.sizeBytes();
        this.writable = !options.readOnly();
        this.clusterBits = h.clusterBits();
        this.clusterSize = h.clusterSize();
        this.corrupt = new Qcow2Header.Corrupt(path);
        this.clusters = new Qcow2Clusters(file, backing, clusterBits, h.version(), corrupt);
        this.writer = new Qcow2Writer(meta, this::metadata, this::currentMetadata, file, clusters, h);
    }

    /**
     * Opens a qcow2 file: locks it (unless inactive or force-share), reads and checks its header, opens its
     * backing chain through {@code chain}, then (when active) its metadata.
     */
    static Qcow2Image open(Path path, OpenOptions o, BackingChain.Opener chain, int depth) {
        ImageFile f = ImageFile.open(path, o.readOnly(), o.cache());
        BlockImage backing = null;
        try {
            ImageLock lock = new ImageLock(f);
            if (!o.inactive() && !o.forceShare()) {
                lock.apply(o.readOnly() ? ImageLock.Mode.READER : ImageLock.Mode.WRITER);
            }
            Qcow2Header h = Qcow2Header.parse(path, f, f.size());
            Qcow2Checks.features(path, h);
            if (!o.readOnly()) {
                Qcow2Checks.writable(path, h, f);
            }
            if (h.backingFile() != null) {
                backing = chain.open(path, h, o, depth);
            }
            Qcow2Image img = new Qcow2Image(path, o, f, lock, h, backing);
            if (!o.inactive()) {
                img.load();
            } else {
                img.rehearseLoad();
            }
            return img;
        } catch (RuntimeException e) {
            f.close();
            if (backing != null) {
                backing.close();
            }
            throw e;
        }
    }

    /** Reads the metadata afresh (at open and at every activation) and clears autoclear bits before writing. */
    private void load() {
        Qcow2Header h = Qcow2Header.parse(path, file, file.size());
        if (h.sizeBytes() != sizeBytes) {
            throw new BlockException(BlockException.Kind.INVALID_REQUEST, "qcow2 image " + path + " changed size "
                    + "from " + sizeBytes + " to " + h.sizeBytes() + " bytes while inactive; start the guest again");
        }
        Qcow2Checks.features(path, h);
        if (writable) {
            Qcow2Checks.writable(path, h, file);
        }
        Qcow2Metadata m = new Qcow2Metadata(file, h, corrupt);
        if (writable && h.autoclear() != 0) {
            // Autoclear bits name extensions (bitmaps) a writer that does not maintain them must invalidate.
            file.write(Qcow2Header.OFF_AUTOCLEAR, ByteBuffer.allocate(8));
        }
        meta.lock();
        try {
            md = m;
            clusters.forget();
        } finally {
            meta.unlock();
        }
        state = State.ACTIVE;
    }

    /**
     * An inactive image (a migration destination) reads its metadata once at open and drops it: the activation at
     * the handover, inside the guest's downtime, must read it afresh (the source writes until then), but it then
     * finds the code loaded and the tables in the page cache (the first activation of a fresh engine took 18-27 ms
     * instead of 2). What it reads may be torn by the source's writes, so a failure here means nothing: the
     * activation checks the image for real.
     */
    private void rehearseLoad() {
        try {
            for (int i = 0; i < REHEARSALS; i++) {
                Qcow2Header h = Qcow2Header.parse(path, file, file.size());
                Qcow2Metadata m = new Qcow2Metadata(file, h, corrupt);
                m.run(0, 1);
            }
        } catch (RuntimeException e) {
            // Torn by the source's writes, or damaged: activate() reads and checks it again and says which.
        }
    }

    @Override
    public Path path() {
        return path;
    }

    @Override
    public ImageFormat format() {
        return ImageFormat.QCOW2;
    }

    @Override
    public long sizeBytes() {
        return sizeBytes;
    }

    @Override
    public boolean readOnly() {
        return !writable;
    }

    @Override
    public CacheMode cacheMode() {
        return options.cache();
    }

    @Override
    public Optional<BlockImage> backing() {
        return Optional.ofNullable(backing);
    }

    @Override
    public boolean temporaryOverlay() {
        return false;
    }

    @Override
    public boolean active() {
        return state == State.ACTIVE;
    }

    private void checkRequest(long offset, int length, boolean write) {
        RawImage.checkRequest(path, state == State.ACTIVE, state == State.CLOSED, write && !writable, offset, length,
                sizeBytes);
    }

    private Qcow2Metadata metadata() {
        Qcow2Metadata m = md;
        if (m == null) {
            throw new BlockException(BlockException.Kind.INVALID_REQUEST, "qcow2 image " + path + " is not active; "
                    + "activate it first");
        }
        return m;
    }

    /** The metadata while active, else null; under {@code meta}. */
    private Qcow2Metadata currentMetadata() {
        return md;
    }

    @Override
    public void read(long offset, ByteBuffer dst) {
        checkRequest(offset, dst.remaining(), false);
        long pos = offset;
        while (dst.hasRemaining()) {
            int in = (int) (pos & (clusterSize - 1));
            long wanted = ((long) in + dst.remaining() + clusterSize - 1) >>> clusterBits;
            Run run;
            meta.lock();
            try {
                run = metadata().run(pos >>> clusterBits, wanted);
            } finally {
                meta.unlock();
            }
            int n = (int) Math.min(dst.remaining(), ((long) run.clusters() << clusterBits) - in);
            ByteBuffer part = dst.slice(dst.position(), n);
            clusters.readRun(run, pos, in, part);
            dst.position(dst.position() + n);
            pos += n;
        }
    }

    @Override
    public void write(long offset, ByteBuffer src) {
        checkRequest(offset, src.remaining(), true);
        writer.write(offset, src);
    }

    @Override
    public void flush() {
        if (state == State.ACTIVE && writable) {
            file.flush();
        }
    }

    /** Returns the reserved clusters (a later allocation reserves a new batch), then flushes. */
    @Override
    public void preflush() {
        if (state != State.ACTIVE || !writable) {
            return;
        }
        meta.lock();
        try {
            if (md != null) {
                md.refcounts.release();
            }
        } finally {
            meta.unlock();
        }
        file.flush();
    }

    @Override
    public void activate() {
        if (state == State.ACTIVE) {
            return;
        }
        RawImage.checkNotClosed(path, state == State.CLOSED);
        if (backing != null) {
            backing.activate();
        }
        try {
            if (!options.forceShare()) {
                lock.apply(writable ? ImageLock.Mode.WRITER : ImageLock.Mode.READER);
            }
            try {
                load();
            } catch (RuntimeException e) {
                lock.apply(ImageLock.Mode.NONE);
                throw e;
            }
        } catch (RuntimeException e) {
            if (backing != null) {
                backing.inactivate();
            }
            throw e;
        }
    }

    @Override
    public void inactivate() {
        if (state != State.ACTIVE) {
            return;
        }
        if (writable) {
            meta.lock();
            try {
                md.refcounts.release();
            } finally {
                meta.unlock();
            }
            file.flush();
        }
        lock.apply(ImageLock.Mode.NONE);
        meta.lock();
        try {
            md = null;
        } finally {
            meta.unlock();
        }
        state = State.INACTIVE;
        if (backing != null) {
            backing.inactivate();
        }
    }

    @Override
    public void close() {
        if (state == State.CLOSED) {
            return;
        }
        try {
            if (state == State.ACTIVE && writable) {
                meta.lock();
                try {
                    md.refcounts.release();
                } finally {
                    meta.unlock();
                }
                file.flush();
            }
        } finally {
            state = State.CLOSED;
            file.close();
            if (backing != null) {
                backing.close();
            }
        }
    }

    @Override
    public String toString() {
        return "qcow2 " + path + (backing != null ? " over " + backing : "");
    }
}
