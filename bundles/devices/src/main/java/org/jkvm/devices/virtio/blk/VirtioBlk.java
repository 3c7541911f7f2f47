package org.jkvm.devices.virtio.blk;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;

import org.jkvm.block.BlockException;
import org.jkvm.block.BlockImage;
import org.jkvm.devices.virtio.DescriptorChain;
import org.jkvm.devices.virtio.VirtQueue;
import org.jkvm.devices.virtio.VirtioDevice;
import org.jkvm.devices.virtio.VirtioException;
import org.jkvm.devices.virtio.VirtioPciTransport;
import org.jkvm.memory.GuestMemory;
import org.jkvm.memory.GuestMemoryException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A virtio block device (virtio 1.2, section 5.2) with one request queue of 256 entries over a {@link BlockImage}.
 *
 * <pre>
 * request:  header {type le32 (IN 0, OUT 1, FLUSH 4, GET_ID 8), reserved le32, sector le64}   (device-readable)
 *           data (OUT: device-readable; IN, GET_ID: device-writable)    status u8 (device-writable, last byte)
 * config:   capacity le64 @0 (512-byte sectors) | size_max le32 @8 | seg_max le32 @12 | geometry @16
 *           | blk_size le32 @20 | topology @24..31 | writeback u8 @32
 * </pre>
 *
 * Offered: VERSION_1, EVENT_IDX, SEG_MAX (queue size - 2, as QEMU), BLK_SIZE (512), RO for a read-only image, and
 * FLUSH only when the cache mode keeps a volatile write cache ({@code none}, {@code writeback}, {@code unsafe}): with
 * {@code writethrough} and {@code directsync} every write is stable when it completes ({@code O_DSYNC}), so the
 * device shows no write cache and the guest sends no flushes (each would cost one more fdatasync per guest fsync
 * for nothing); the config's {@code writeback} byte says the same. QEMU reaches the same guest behaviour another
 * way: it offers FLUSH with CONFIG_WCE and {@code writeback=0}, and honours a driver's writes of that byte; jkvm
 * offers no CONFIG_WCE, since ignoring such a write could leave a guest believing its writes stable. Writes to a
 * read-only image, requests past the end or not a whole number of sectors, and image failures complete with
 * VIRTIO_BLK_S_IOERR; other request types with VIRTIO_BLK_S_UNSUPP. A flush is the image's flush, so the cache mode
 * decides what it costs ({@code writeback}: fdatasync, {@code unsafe}: nothing).
 *
 * <p>Threads: {@link #notify} (vCPU thread) schedules a drain on the injected executor; drains are serialised by
 * one lock, which {@link #reset} and {@link #quiesce} also take, so both return only when no request is running.
 */
public final class VirtioBlk implements VirtioDevice {
    /** virtio device id of a block device. */
    public static final int TYPE = 2;
    /** The queue size offered. */
    public static final int QUEUE_SIZE = 256;
    /** VIRTIO_BLK_F_SEG_MAX. */
    public static final long F_SEG_MAX = 1L << 2;
    /** VIRTIO_BLK_F_RO. */
    public static final long F_RO = 1L << 5;
    /** VIRTIO_BLK_F_BLK_SIZE. */
    public static final long F_BLK_SIZE = 1L << 6;
    /** VIRTIO_BLK_F_FLUSH. */
    public static final long F_FLUSH = 1L << 9;
    /** Request types. */
    public static final int T_IN = 0;
    /** Write. */
    public static final int T_OUT = 1;
    /** Flush. */
    public static final int T_FLUSH = 4;
    /** Get the device id string. */
    public static final int T_GET_ID = 8;
    /** Status values. */
    public static final int S_OK = 0;
    /** I/O error. */
    public static final int S_IOERR = 1;
    /** Unsupported request. */
    public static final int S_UNSUPP = 2;
    /** Length of the id string GET_ID returns. */
    public static final int ID_BYTES = 20;
    private static final int SECTOR = 512;
    /** The largest data transfer of one request (seg_max segments of at most 4 MiB each would be more). */
    private static final int MAX_REQUEST_BYTES = 32 << 20;
    private static final Logger LOG = LoggerFactory.getLogger(VirtioBlk.class);

    private final BlockImage image;
    private final byte[] id;
    private final Executor io;
    private final Object ioLock = new Object();
    private final AtomicBoolean scheduled = new AtomicBoolean();
    private final BlockStats stats = new BlockStats();
    private ByteBuffer scratch;
    private volatile List<VirtQueue> queues;
    private volatile VirtioContext context;

    /**
     * @param image  the disk; read-only images get VIRTIO_BLK_F_RO
     * @param serial the id string GET_ID returns (QEMU's {@code serial=}), at most 20 bytes are used
     * @param io     where requests run (an I/O thread); never the vCPU thread
     */
    public VirtioBlk(BlockImage image, String serial, Executor io) {
        this.image = image;
        this.id = serial.getBytes(StandardCharsets.US_ASCII);
        this.io = io;
    }

    /** The image behind the device. */
    public BlockImage image() {
        return image;
    }

    /** The I/O accounting ({@code query-blockstats}, {@code virsh domblkstat}). */
    public BlockStats stats() {
        return stats;
    }

    @Override
    public int deviceType() {
        return TYPE;
    }

    @Override
    public int pciClass() {
        return 0x010000; // mass storage, SCSI: what QEMU's virtio-blk-pci shows
    }

    @Override
    public long features() {
        long f = VirtioPciTransport.F_VERSION_1 | VirtioPciTransport.F_EVENT_IDX | F_SEG_MAX | F_BLK_SIZE;
        if (volatileCache()) {
            f |= F_FLUSH;
        }
        return image.readOnly() ? f | F_RO : f;
    }

    /** Whether completed writes may still sit in a host cache, so the guest must flush (not with O_DSYNC). */
    private boolean volatileCache() {
        return !image.cacheMode().syncEachWrite();
    }

    @Override
    public int queueCount() {
        return 1;
    }

    @Override
    public int queueMaxSize() {
        return QUEUE_SIZE;
    }

    @Override
    public int configSize() {
        return 36;
    }

    @Override
    public void configRead(int offset, byte[] data) {
        ByteBuffer b = ByteBuffer.allocate(configSize()).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(0, image.sizeBytes() / SECTOR);
        b.putInt(12, QUEUE_SIZE - 2);
        b.putInt(20, SECTOR);
        b.put(32, (byte) (volatileCache() ? 1 : 0));
        b.get(offset, data);
    }

    @Override
    public void activate(List<VirtQueue> activeQueues, long features, VirtioContext ctx) {
        boolean pending;
        synchronized (ioLock) {
            this.queues = activeQueues;
            this.context = ctx;
            pending = activeQueues.get(0).hasAvailable(ctx.memory());
        }
        // Requests made available before DRIVER_OK are served now. Only when there are some: a restore (inside a
        // migration's downtime) finds the ring drained by the source, and waking the I/O thread for nothing there
        // cost 0.7-9 ms on a loaded host (the woken thread preempts the restoring one).
        if (pending) {
            notify(0);
        }
    }

    @Override
    public void notify(int queue) {
        if (scheduled.compareAndSet(false, true)) {
            io.execute(this::drain);
        }
    }

    @Override
    public void reset() {
        synchronized (ioLock) {
            queues = null;
            context = null;
        }
    }

    @Override
    public void quiesce() {
        synchronized (ioLock) {
            drainLocked();
        }
    }

    /** Serves every available request; runs on the executor. */
    private void drain() {
        synchronized (ioLock) {
            scheduled.set(false); // a notify from now on schedules another drain
            drainLocked();
        }
    }

    private void drainLocked() {
        List<VirtQueue> qs = queues;
        VirtioContext ctx = context;
        if (qs == null || ctx == null || !qs.get(0).ready()) {
            return;
        }
        VirtQueue q = qs.get(0);
        GuestMemory memory = ctx.memory();
        try {
            DescriptorChain chain;
            while ((chain = q.pop(memory)) != null) {
                int written = serve(memory, chain);
                q.addUsed(memory, chain.head(), written);
                if (q.needsInterrupt(memory)) {
                    ctx.usedBuffers(0);
                }
            }
        } catch (VirtioException | GuestMemoryException e) {
            queues = null;
            ctx.needsReset(e.getMessage());
        }
    }

    /**
     * Serves one request and writes its status byte.
     *
     * @return the bytes written into the chain's device-writable buffers, status included
     */
    private int serve(GuestMemory memory, DescriptorChain chain) {
        Buffers bufs = new Buffers(memory, chain);
        if (bufs.readable() < 16 || bufs.writable() < 1) {
            throw new VirtioException("virtio-blk request at descriptor " + chain.head() + " has " + bufs.readable()
                    + " readable and " + bufs.writable() + " writable bytes; a request needs a 16-byte header and a "
                    + "status byte");
        }
        ByteBuffer header = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN);
        bufs.readFrom(0, header);
        int type = header.getInt(0);
        long sector = header.getLong(8);
        long dataIn = bufs.writable() - 1;
        long dataOut = bufs.readable() - 16;
        int status;
        int written = 0;
        switch (type) {
            case T_IN -> {
                status = transfer(bufs, sector, dataIn, false);
                written = status == S_OK ? (int) dataIn : 0;
            }
            case T_OUT -> {
                if (image.readOnly()) {
                    stats.invalid(BlockStats.Kind.WRITE);
                    status = S_IOERR;
                } else {
                    status = transfer(bufs, sector, dataOut, true);
                }
            }
            case T_FLUSH -> status = flush();
            case T_GET_ID -> {
                int n = (int) Math.min(ID_BYTES, dataIn);
                ByteBuffer idBuf = ByteBuffer.allocate(n);
                idBuf.put(id, 0, Math.min(id.length, n)).clear();
                bufs.writeTo(0, idBuf);
                written = n;
                status = S_OK;
            }
            default -> status = S_UNSUPP;
        }
        bufs.writeTo(dataIn, ByteBuffer.wrap(new byte[] {(byte) status}));
        return written + 1;
    }

    private int flush() {
        long start = stats.start();
        try {
            image.flush();
            stats.done(BlockStats.Kind.FLUSH, start, 0, 0);
            return S_OK;
        } catch (BlockException e) {
            LOG.warn("virtio-blk flush of {} failed: {}", image.path(), e.getMessage());
            stats.failed(BlockStats.Kind.FLUSH);
            return S_IOERR;
        }
    }

    /**
     * The data buffer of a request, {@code length} bytes: page-aligned direct memory (what {@code cache=none}'s
     * O_DIRECT wants), kept between requests and grown as needed; used under the I/O lock only.
     */
    private ByteBuffer scratch(int length) {
        if (scratch == null || scratch.capacity() < length) {
            int bytes = (Math.max(length, 1 << 20) + 4095) & ~4095;
            scratch = ByteBuffer.allocateDirect(bytes + 4096).alignedSlice(4096);
        }
        return scratch.clear().limit(length);
    }

    private int transfer(Buffers bufs, long sector, long length, boolean write) {
        BlockStats.Kind kind = write ? BlockStats.Kind.WRITE : BlockStats.Kind.READ;
        long start = stats.start();
        long capacitySectors = image.sizeBytes() / SECTOR;
        if (length % SECTOR != 0 || length > MAX_REQUEST_BYTES || sector < 0 || sector > capacitySectors
                || length / SECTOR > capacitySectors - sector) {
            LOG.debug("virtio-blk {} of {} bytes at sector {} refused (capacity {} sectors)",
                    write ? "write" : "read", length, sector, capacitySectors);
            stats.invalid(kind);
            return S_IOERR;
        }
        ByteBuffer data = scratch((int) length);
        try {
            if (write) {
                bufs.readFrom(16, data);
                data.flip();
                image.write(sector * SECTOR, data);
            } else {
                image.read(sector * SECTOR, data);
                data.flip();
                bufs.writeTo(0, data);
            }
            stats.done(kind, start, sector * SECTOR, length);
            return S_OK;
        } catch (BlockException e) {
            LOG.warn("virtio-blk {} at sector {} of {} failed: {}", write ? "write" : "read", sector, image.path(),
                    e.getMessage());
            stats.failed(kind);
            return S_IOERR;
        }
    }
}
