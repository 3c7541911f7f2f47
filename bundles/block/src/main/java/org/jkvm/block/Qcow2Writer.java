package org.jkvm.block;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;

import org.jkvm.block.Qcow2Metadata.Kind;

/**
 * The write path of a qcow2 image: a write to clusters that are already its own (COPIED) looks them up under the
 * metadata lock and writes in place; a write that needs new clusters plans under the lock (allocates them, marks its
 * guest clusters in flight, so a second writer of the same clusters waits), writes the data with the lock released
 * (whole new clusters, the bytes it does not cover copied from the old content: backing file, zero or compressed
 * cluster), then links them under the lock. Clusters are never reused while the image is open.
 *
 * <p>Order of writes for a new cluster: its refcount (reserved in batches, synced) - its data - a barrier
 * ({@link SyncBarrier}) when the data includes bytes copied from elsewhere, so a host crash cannot leave an L2 entry
 * pointing at a cluster without the old bytes - the L2 entry - only then the release of what the entry pointed at
 * before. Thread-safe (the image's metadata lock).
 */
final class Qcow2Writer {
    private static final ThreadLocal<ByteBuffer[]> COW_BUFFER = ThreadLocal.withInitial(() -> new ByteBuffer[1]);

    /** Guest clusters {@code [first, first + clusters)}; {@code hosts[i]} where each goes, new ones {@code fresh}. */
    private record Plan(long first, int clusters, long[] hosts, long[] olds, boolean[] fresh, int freshCount,
                        boolean needsBarrier, long[] range) {
    }

    private final ReentrantLock meta;
    private final Condition settled;
    private final Supplier<Qcow2Metadata> active;
    private final Supplier<Qcow2Metadata> current;
    private final ImageFile file;
    private final Qcow2Clusters clusters;
    private final SyncBarrier barrier;
    private final int clusterBits;
    private final int clusterSize;
    private final long l2Span;
    /** The guest cluster ranges of the plans not yet settled; guarded by {@code meta}. */
    private final List<long[]> inflight = new ArrayList<>();

    /**
     * @param meta     the image's metadata lock
     * @param active   the metadata, under the lock; throws when the image is not active
     * @param current  the metadata, under the lock, or null when the image is not active
     * @param file     the image's file
     * @param clusters the old content of clusters
     * @param h        the image's header (cluster size, L2 entries)
     */
    Qcow2Writer(ReentrantLock meta, Supplier<Qcow2Metadata> active, Supplier<Qcow2Metadata> current,
            ImageFile file, Qcow2Clusters clusters, Qcow2Header h) {
        this.meta = meta;
        this.settled = meta.newCondition();
        this.active = active;
        this.current = current;
        this.file = file;
        this.clusters = clusters;
        this.barrier = new SyncBarrier(file);
        this.clusterBits = h.clusterBits();
        this.clusterSize = h.clusterSize();
        this.l2Span = (long) h.l2Entries() << clusterBits;
    }

    /** Writes {@code src} at guest offset {@code offset} (checked by the caller), one L2 table's span at a time. */
    void write(long offset, ByteBuffer src) {
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
        Qcow2Metadata m = active.get();
        long[] hosts = new long[n];
        long[] olds = new long[n];
        boolean[] fresh = new boolean[n];
        int freshCount = 0;
        boolean needsBarrier = false;
        int headIn = (int) (pos & (clusterSize - 1));
        int tailEnd = (int) (((pos + len - 1) & (clusterSize - 1)) + 1);
        for (int i = 0; i < n; i++) {
            long e = m.entry(first + i);
            Kind kind = m.kind(e);
            if (kind == Kind.NORMAL && (e & Qcow2Metadata.COPIED) != 0) {
                hosts[i] = e & Qcow2Metadata.OFFSET_MASK;
                continue;
            }
            fresh[i] = true;
            olds[i] = e;
            freshCount++;
            boolean partial = (i == 0 && headIn != 0) || (i == n - 1 && tailEnd != clusterSize);
            needsBarrier |= partial && clusters.mayHoldData(kind, first + i);
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
        clusters.fillOld(plan.olds()[i], gc, buf.slice(0, from), 0);
        clusters.fillOld(plan.olds()[i], gc, buf.slice(to, clusterSize - to), to);
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

    /** Enters the new clusters in the L2 table, then drops what the old entries referenced. */
    private void link(Plan plan) {
        Qcow2Metadata m = active.get();
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
            Qcow2Metadata m = current.get();
            if (!linked && m != null) {
                for (int i = 0; i < plan.clusters(); i++) {
                    if (plan.fresh()[i]) {
                        m.refcounts.free(plan.hosts()[i], clusterSize);
                    }
                }
            }
        } finally {
            inflight.remove(plan.range());
            settled.signalAll();
            meta.unlock();
        }
    }
}
