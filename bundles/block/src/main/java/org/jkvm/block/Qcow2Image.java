package org.jkvm.block;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

import org.jkvm.block.Qcow2Metadata.Kind;
import org.jkvm.block.Qcow2Metadata.Run;

/**
 * A qcow2 image (version 2 and 3 read, version 3 write), over an optional backing image.
 *
 * <p><b>Concurrency.</b> One lock guards the metadata; data moves outside it. A read takes the lock only to look up
 * a run of clusters. A write to clusters that are already its own (COPIED) does the same. A write that needs new
 * clusters plans under the lock (allocates them, marks its guest clusters in flight, so a second writer of the same
 * clusters waits), writes the data with the lock released (whole new clusters, the bytes it does not cover copied
 * from the old content: backing file, zero or compressed cluster), then links them under the lock. Clusters are
 * never reused while the image is open, so a mapping read under the lock stays valid after it is released.
 *
 * <p><b>Order of writes</b> for a new cluster: its refcount (reserved in batches, synced) - its data - a barrier
 * ({@link SyncBarrier}) when the data includes bytes copied from elsewhere, so a host crash cannot leave an L2 entry
 * pointing at a cluster without the old bytes - the L2 entry - only then the release of what the entry pointed at
 * before. A new L2 table: its refcount - the zeroed table - the L1 entry. So at every instant each reference points
 * at a counted cluster holding what it should, which is what {@code qemu-img check} verifies.
 */
final class Qcow2Image implements BlockImage {
    private static final ThreadLocal<ByteBuffer[]> COW_BUFFER = ThreadLocal.withInitial(() -> new ByteBuffer[1]);
    private static final byte[] ZEROS = new byte[64 << 10];
    /**
     * How often an inactive image reads its metadata ahead: once loads the classes, but the table scans then still
     * run interpreted at the activation (6-9 ms measured); a few more get them compiled (about 1 ms each here).
     */
    private static final int REHEARSALS = 12;

    private enum State { INACTIVE, ACTIVE, CLOSED }

    /** Guest clusters {@code [first, first + clusters)}; {@code hosts[i]} where each goes, new ones {@code fresh}. */
    private record Plan(long first, int clusters, long[] hosts, long[] olds, boolean[] fresh, int freshCount,
                        boolean needsBarrier, long[] range) {
    }

    private record Decompressed(long entry, byte[] data) {
    }

    private final Path path;
    private final OpenOptions options;
    private final ImageFile file;
    private final ImageLock lock;
    private final BlockImage backing;
    private final long sizeBytes;
    private final boolean writable;
    private final int version;
    private final int clusterBits;
    private final int clusterSize;
    private final long l2Span;
    private final Qcow2Header.Corrupt corrupt;
    private final SyncBarrier barrier;
    private final ReentrantLock meta = new ReentrantLock();
    private final Condition settled = meta.newCondition();
    private final List<long[]> inflight = new ArrayList<>();
    private Qcow2Metadata md;
    private volatile State state = State.INACTIVE;
    private volatile Decompressed lastDecompressed;

    private Qcow2Image(Path path, OpenOptions options, ImageFile file, ImageLock lock, Qcow2Header h,
                       BlockImage backing) {
        this.path = path;
        this.options = options;
        this.file = file;
        this.lock = lock;
        this.backing = backing;
        this.sizeBytes = h.sizeBytes();
        this.writable = !options.readOnly();
        this.version = h.version();
        this.clusterBits = h.clusterBits();
        this.clusterSize = h.clusterSize();
        this.l2Span = (long) h.l2Entries() << clusterBits;
        this.corrupt = new Qcow2Header.Corrupt(path);
        this.barrier = new SyncBarrier(file);
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
            lastDecompressed = null;
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
            readRun(run, pos, in, part);
            dst.position(dst.position() + n);
            pos += n;
        }
    }

    private void readRun(Run run, long guestOffset, int in, ByteBuffer part) {
        switch (run.kind()) {
            case NORMAL -> file.read((run.entry() & Qcow2Metadata.OFFSET_MASK) + in, part);
            case ZERO -> zero(part);
            case UNALLOCATED -> readBacking(guestOffset, part);
            case COMPRESSED -> part.put(ByteBuffer.wrap(decompress(run.entry()), in, part.remaining()));
            default -> throw new IllegalStateException(run.kind().toString());
        }
    }

    /** Reads from the backing image; past its end (or without one) the bytes are zeros. */
    private void readBacking(long guestOffset, ByteBuffer part) {
        long inBacking = backing == null ? 0
                : Math.max(0, Math.min(part.remaining(), backing.sizeBytes() - guestOffset));
        if (inBacking > 0) {
            backing.read(guestOffset, part.slice(part.position(), (int) inBacking));
            part.position(part.position() + (int) inBacking);
        }
        zero(part);
    }

    /** Fills the rest of {@code b} with zeros. */
    static void zero(ByteBuffer b) {
        while (b.hasRemaining()) {
            b.put(ZEROS, 0, Math.min(ZEROS.length, b.remaining()));
        }
    }

    private byte[] decompress(long entry) {
        Decompressed d = lastDecompressed;
        if (d != null && d.entry() == entry) {
            return d.data();
        }
        long off = Qcow2Checks.compressedOffset(entry, clusterBits);
        byte[] in = new byte[Qcow2Checks.compressedBytes(entry, clusterBits)];
        file.read(off, ByteBuffer.wrap(in));
        byte[] out = Qcow2Checks.inflate(corrupt, off, in, clusterSize);
        lastDecompressed = new Decompressed(entry, out);
        return out;
    }

    @Override
    public void write(long offset, ByteBuffer src) {
        checkRequest(offset, src.remaining(), true);
        long pos = offset;
        while (src.hasRemaining()) {
            int n = (int) Math.min(src.remaining(), (pos / l2Span + 1) * l2Span - pos);
            writeStep(pos, src.slice(src.position(), n));
            src.position(src.position() + n);
            pos += n;
        }
    }

    /** One write within one L2 table: plan under the lock, data without it, link under it. */
    private void writeStep(long pos, ByteBuffer data) {
        long first = pos >>> clusterBits;
        int n = (int) (((pos + data.remaining() - 1) >>> clusterBits) - first + 1);
        Plan plan;
        meta.lock();
        try {
            plan = plan(first, n, pos, data.remaining());
        } finally {
            meta.unlock();
        }
        if (plan.freshCount() == 0) {
            writeData(plan, pos, data);
            return;
        }
        boolean linked = false;
        try {
            writeData(plan, pos, data);
            if (plan.needsBarrier()) {
                barrier.sync();
            }
            meta.lock();
            try {
                link(plan);
                linked = true;
            } finally {
                meta.unlock();
            }
        } finally {
            settle(plan, linked);
        }
    }

    private Plan plan(long first, int n, long pos, int len) {
        while (overlapsInflight(first, n)) {
            settled.awaitUninterruptibly();
        }
        Qcow2Metadata m = metadata();
        long[] hosts = new long[n];
        long[] olds = new long[n];
        boolean[] fresh = new boolean[n];
        int freshCount = 0;
        boolean needsBarrier = false;
        int headIn = (int) (pos & (clusterSize - 1));
        int tailEnd = (int) (((pos + len - 1) & (clusterSize - 1)) + 1);
        for (int i = 0; i < n; i++) {
            long e = m.entry(first + i);
            if (m.kind(e) == Kind.NORMAL && (e & Qcow2Metadata.COPIED) != 0) {
                hosts[i] = e & Qcow2Metadata.OFFSET_MASK;
                continue;
            }
            fresh[i] = true;
            olds[i] = e;
            freshCount++;
            boolean partial = (i == 0 && headIn != 0) || (i == n - 1 && tailEnd != clusterSize);
            needsBarrier |= partial && oldMayHoldData(m, e, first + i);
        }
        long[] range = null;
        if (freshCount > 0) {
            for (int i = 0; i < n; i++) {
                if (fresh[i]) {
                    hosts[i] = m.refcounts.allocate();
                }
            }
            range = new long[] {first, first + n};
            inflight.add(range);
        }
        return new Plan(first, n, hosts, olds, fresh, freshCount, needsBarrier, range);
    }

    private boolean overlapsInflight(long first, int n) {
        for (long[] r : inflight) {
            if (r[0] < first + n && first < r[1]) {
                return true;
            }
        }
        return false;
    }

    private boolean oldMayHoldData(Qcow2Metadata m, long entry, long gc) {
        return switch (m.kind(entry)) {
            case COMPRESSED, NORMAL -> true;
            case ZERO -> false;
            case UNALLOCATED -> backing != null && (gc << clusterBits) < backing.sizeBytes();
        };
    }

    /** Writes the request's bytes: in place where the cluster is its own, whole new clusters otherwise. */
    private void writeData(Plan plan, long pos, ByteBuffer data) {
        int headIn = (int) (pos & (clusterSize - 1));
        int tailEnd = (int) (((pos + data.remaining() - 1) & (clusterSize - 1)) + 1);
        int at = 0;
        long runHost = -1;
        int runStart = 0;
        int runLen = 0;
        for (int i = 0; i < plan.clusters(); i++) {
            int from = i == 0 ? headIn : 0;
            int to = i == plan.clusters() - 1 ? tailEnd : clusterSize;
            int len = to - from;
            if (!plan.fresh()[i] || (from == 0 && to == clusterSize)) {
                long h = plan.hosts()[i] + from;
                if (runLen > 0 && runHost + runLen == h) {
                    runLen += len;
                } else {
                    writeRun(runHost, data, runStart, runLen);
                    runHost = h;
                    runStart = at;
                    runLen = len;
                }
            } else {
                writeRun(runHost, data, runStart, runLen);
                runLen = 0;
                writeCow(plan, i, from, to, data.slice(at, len));
            }
            at += len;
        }
        writeRun(runHost, data, runStart, runLen);
    }

    private void writeRun(long host, ByteBuffer data, int start, int len) {
        if (len > 0) {
            file.write(host, data.slice(start, len));
        }
    }

    /** A new cluster written whole: the old content around {@code [from, to)}, the request's bytes inside. */
    private void writeCow(Plan plan, int i, int from, int to, ByteBuffer piece) {
        ByteBuffer buf = cowBuffer();
        long gc = plan.first() + i;
        fillOld(plan.olds()[i], gc, buf.slice(0, from), 0);
        fillOld(plan.olds()[i], gc, buf.slice(to, clusterSize - to), to);
        buf.put(from, piece, piece.position(), piece.remaining());
        file.write(plan.hosts()[i], buf.slice(0, clusterSize));
    }

    private ByteBuffer cowBuffer() {
        ByteBuffer[] holder = COW_BUFFER.get();
        if (holder[0] == null || holder[0].capacity() < clusterSize) {
            // a whole number of pages plus one, so the aligned slice holds the cluster wherever the memory starts
            int pages = Math.max(clusterSize, 4096);
            holder[0] = ByteBuffer.allocateDirect(pages + 4096).alignedSlice(4096);
        }
        return holder[0];
    }

    private void fillOld(long entry, long gc, ByteBuffer part, int in) {
        if (!part.hasRemaining()) {
            return;
        }
        switch (metadataKind(entry)) {
            case NORMAL -> file.read((entry & Qcow2Metadata.OFFSET_MASK) + in, part);
            case ZERO -> zero(part);
            case UNALLOCATED -> readBacking((gc << clusterBits) + in, part);
            case COMPRESSED -> part.put(ByteBuffer.wrap(decompress(entry), in, part.remaining()));
            default -> throw new IllegalStateException();
        }
    }

    private Kind metadataKind(long entry) {
        return Qcow2Metadata.kind(entry, version);
    }

    /** Enters the new clusters in the L2 table, then drops what the old entries referenced. */
    private void link(Plan plan) {
        Qcow2Metadata m = metadata();
        long[] gcs = new long[plan.freshCount()];
        long[] entries = new long[plan.freshCount()];
        int k = 0;
        for (int i = 0; i < plan.clusters(); i++) {
            if (plan.fresh()[i]) {
                gcs[k] = plan.first() + i;
                entries[k++] = plan.hosts()[i] | Qcow2Metadata.COPIED;
            }
        }
        m.setEntries(gcs, entries, k);
        for (int i = 0; i < plan.clusters(); i++) {
            if (plan.fresh()[i] && plan.olds()[i] != 0) {
                m.freeEntry(plan.olds()[i]);
            }
        }
    }

    /** Ends a plan: unlinked clusters are freed (never reused while open), waiting writers are woken. */
    private void settle(Plan plan, boolean linked) {
        meta.lock();
        try {
            if (!linked && md != null) {
                for (int i = 0; i < plan.clusters(); i++) {
                    if (plan.fresh()[i]) {
                        md.refcounts.free(plan.hosts()[i], clusterSize);
                    }
                }
            }
        } finally {
            inflight.remove(plan.range());
            settled.signalAll();
            meta.unlock();
        }
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
