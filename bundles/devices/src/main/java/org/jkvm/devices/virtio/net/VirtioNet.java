package org.jkvm.devices.virtio.net;

import java.nio.ByteBuffer;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantLock;

import org.jkvm.devices.virtio.DescriptorChain;
import org.jkvm.devices.virtio.VirtQueue;
import org.jkvm.devices.virtio.VirtioDevice;
import org.jkvm.devices.virtio.VirtioException;
import org.jkvm.devices.virtio.VirtioPciTransport;
import org.jkvm.memory.GuestMemory;
import org.jkvm.memory.GuestMemoryException;

/**
 * A virtio network device (virtio 1.2, section 5.1): receive queue 0, transmit queue 1, control queue 2, 256 entries
 * each, in front of a host backend (a {@link FrameSink} for transmit, {@link #receive} for frames from the host).
 *
 * <pre>
 * header (12 bytes, before every frame both ways): flags u8 | gso_type u8 | hdr_len le16 | gso_size le16
 *                                                 | csum_start le16 | csum_offset le16 | num_buffers le16
 * config:   mac[6] @0 | status le16 @6 (LINK_UP 1, ANNOUNCE 2) | max_virtqueue_pairs le16 @8 (1)
 * control:  class u8 | command u8 | data (device-readable) | ack u8 (device-writable: OK 0, ERR 1)
 * </pre>
 *
 * Offered: VERSION_1, EVENT_IDX, MAC, STATUS, MRG_RXBUF, CTRL_VQ and GUEST_ANNOUNCE; no checksum or segmentation
 * offload (the guest computes every checksum), so transmit headers are ignored and receive headers say "no offload".
 * Without MRG_RXBUF a frame goes into one receive chain; with it, into as many chains as it needs, all returned at
 * once with {@code num_buffers}. A frame larger than the guest's buffers is returned as a zero-length buffer (the
 * driver counts it as an error) and counted as dropped.
 *
 * <p>Threads: a transmit kick with a short queue and no drain in flight is served on the kicking (vCPU) thread when
 * the sink {@linkplain FrameSink#neverBlocks never blocks}, at most {@value #INLINE_TX_BUDGET} frames, one backend
 * write each: a reply leaves without a thread hand-off. Anything more, and control requests, run on the injected
 * executor, a drain serving at most {@value #TX_BUDGET} frames before it queues itself again, so a guest flooding
 * transmit never holds the vCPU for more than that bound per kick nor starves the other work. Frames from the host
 * arrive on the backend's reader thread through {@link #receive}, which writes them into the receive ring and raises
 * the interrupt itself; a frame the guest has no buffer for is kept (the backend stops reading until the
 * {@linkplain #setRxWakeup wake-up}) and delivered when the driver posts buffers (only then does a receive kick wake
 * the executor). The device starts stopped: {@link #start} and {@link #stop} follow the VM's run state, so nothing
 * touches guest memory while the VM is paused (a migration's last pass). Receive work holds the receive lock,
 * transmit and control work the transmit lock (taken in that order; the kicking thread only tries the transmit
 * lock), which {@link #stop} and {@link #reset} take to wait for running work.
 */
public final class VirtioNet implements VirtioDevice {
    /** virtio device id of a network card. */
    public static final int TYPE = 1;
    /** The size of each queue offered. */
    public static final int QUEUE_SIZE = 256;
    /** Receive queue index. */
    public static final int RX = 0;
    /** Transmit queue index. */
    public static final int TX = 1;
    /** Control queue index. */
    public static final int CTRL = 2;
    /** VIRTIO_NET_F_MAC. */
    public static final long F_MAC = 1L << 5;
    /** VIRTIO_NET_F_MRG_RXBUF. */
    public static final long F_MRG_RXBUF = 1L << 15;
    /** VIRTIO_NET_F_STATUS. */
    public static final long F_STATUS = 1L << 16;
    /** VIRTIO_NET_F_CTRL_VQ. */
    public static final long F_CTRL_VQ = 1L << 17;
    /** VIRTIO_NET_F_GUEST_ANNOUNCE. */
    public static final long F_GUEST_ANNOUNCE = 1L << 21;
    /** VIRTIO_NET_S_LINK_UP. */
    public static final int S_LINK_UP = 1;
    /** VIRTIO_NET_S_ANNOUNCE. */
    public static final int S_ANNOUNCE = 2;
    /** The virtio-net header's size with VERSION_1 (num_buffers always present). */
    public static final int HEADER_BYTES = 12;
    /** VIRTIO_NET_CTRL_RX (promiscuous, all-multicast): accepted, every frame is delivered anyway. */
    public static final int CTRL_RX = 0;
    /** VIRTIO_NET_CTRL_ANNOUNCE class. */
    public static final int CTRL_ANNOUNCE = 3;
    /** VIRTIO_NET_CTRL_ANNOUNCE_ACK command. */
    public static final int CTRL_ANNOUNCE_ACK = 0;
    /** Transmit frames served per drain before it yields the I/O thread. */
    static final int TX_BUDGET = 256;
    /** Transmit frames served on the kicking thread per kick, at most ({@link #txInline}). */
    static final int INLINE_TX_BUDGET = 4;
    /** {@code -Djkvm.net.inline-tx=false} serves every transmit kick on the I/O thread (a debug switch, benchmarks). */
    private static final boolean INLINE_TX = !"false".equals(System.getProperty("jkvm.net.inline-tx"));
    /** The largest frame either way (a 64 KiB frame; without offloads the guest sends at most its MTU). */
    static final int MAX_FRAME = 65536;
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(VirtioNet.class);

    private final MacAddress mac;
    private final FrameSink sink;
    private final Executor io;
    private final NetStats stats = new NetStats();
    private final NetTrace trace = new NetTrace();
    private final Object rxLock = new Object();
    /** A lock rather than a monitor: the kicking thread only tries it ({@link #txInline}). */
    private final ReentrantLock txLock = new ReentrantLock();
    private final AtomicBoolean txScheduled = new AtomicBoolean();
    private final AtomicBoolean rxScheduled = new AtomicBoolean();
    private final AtomicInteger netStatus = new AtomicInteger(S_LINK_UP);
    /** Frames from the host are dropped until the next start (guarded by rxLock). */
    private boolean discardUntilStart;
    private final ByteBuffer rxScratch = ByteBuffer.allocate(HEADER_BYTES + MAX_FRAME).order(ByteOrder.LITTLE_ENDIAN);
    private final ByteBuffer txScratch = ByteBuffer.allocateDirect(HEADER_BYTES + MAX_FRAME); // a tap writes it
    private volatile List<VirtQueue> queues;
    private volatile VirtioContext context;
    private volatile long features;
    private volatile boolean stopped = true;
    private volatile Runnable rxWakeup = () -> { };
    /** The frame kept for want of receive buffers (written under rxLock; volatile for {@link #notify}'s look). */
    private volatile byte[] pending;

    /**
     * @param mac  the address the guest reads from the configuration
     * @param sink where transmitted frames go
     * @param io   where transmit and control requests run (an I/O thread); never the vCPU thread
     */
    public VirtioNet(MacAddress mac, FrameSink sink, Executor io) {
        this.mac = mac;
        this.sink = sink;
        this.io = io;
    }

    /** The NIC's MAC address. */
    public MacAddress mac() {
        return mac;
    }

    /** The NIC's counters. */
    public NetStats stats() {
        return stats;
    }

    /** The round-trip stage stamps ({@link NetTrace}; empty unless {@code jkvm.net.trace} is on). */
    public NetTrace trace() {
        return trace;
    }

    /** Sets what the device calls (on its I/O thread) when it took the frame {@link #receive} kept. */
    public void setRxWakeup(Runnable wakeup) {
        this.rxWakeup = wakeup;
    }

    @Override
    public int deviceType() {
        return TYPE;
    }

    @Override
    public int pciClass() {
        return 0x020000; // network controller, Ethernet: what QEMU's virtio-net-pci shows
    }

    @Override
    public long features() {
        return VirtioPciTransport.F_VERSION_1 | VirtioPciTransport.F_EVENT_IDX | F_MAC | F_STATUS | F_MRG_RXBUF
                | F_CTRL_VQ | F_GUEST_ANNOUNCE;
    }

    @Override
    public int queueCount() {
        return 3;
    }

    /**
     * 3, QEMU's default {@code vectors=} for virtio-net-pci (2 x queue pairs + 1): receive, transmit and configuration;
     * the control queue needs none (Linux gives it no callback).
     */
    @Override
    public int msixVectors() {
        return 3;
    }

    @Override
    public int queueMaxSize() {
        return QUEUE_SIZE;
    }

    @Override
    public int configSize() {
        return 10;
    }

    @Override
    public void configRead(int offset, byte[] data) {
        ByteBuffer b = ByteBuffer.allocate(configSize()).order(ByteOrder.LITTLE_ENDIAN);
        b.put(0, mac.bytes());
        b.putShort(6, (short) netStatus.get());
        b.putShort(8, (short) 1);
        b.get(offset, data);
    }

    @Override
    public void activate(List<VirtQueue> activeQueues, long negotiated, VirtioContext ctx) {
        underBothLocks(() -> {
            this.features = negotiated;
            this.queues = activeQueues;
            this.context = ctx;
        });
        kick(); // requests made available before DRIVER_OK are served now
    }

    @Override
    public void notify(int queue) {
        if (queue == RX) {
            // New buffers matter only to a kept frame: without one the kick needs no I/O thread (the reader's next
            // frame finds the buffers itself). The fence pairs with receive's, which looks again after keeping one.
            VarHandle.fullFence();
            boolean kept = pending != null;
            if (NetTrace.ENABLED) {
                trace.rxKick(kept);
            }
            if (kept) {
                scheduleRx();
            }
        } else {
            if (NetTrace.ENABLED && queue == TX) {
                trace.txKick();
            }
            if (queue != TX || !txInline()) {
                scheduleTx();
            }
        }
    }

    @Override
    public void reset() {
        underBothLocks(() -> {
            queues = null;
            context = null;
            features = 0;
            pending = null;
            netStatus.updateAndGet(s -> s & ~S_ANNOUNCE);
        });
        rxWakeup.run(); // the backend may read again: frames for an inactive device are kept one at a time
    }

    /** Stops serving queues and waits for the running work: the VM is paused; {@link #start} undoes it. */
    public void stop() {
        underBothLocks(() -> stopped = true);
    }

    /** Runs {@code r} holding the receive lock, then the transmit lock (the order every path takes them in). */
    private void underBothLocks(Runnable r) {
        synchronized (rxLock) {
            txLock.lock();
            try {
                r.run();
            } finally {
                txLock.unlock();
            }
        }
    }

    /** Serves the queues again (the VM runs): requests and a kept frame waiting since the stop are served now. */
    public void start() {
        synchronized (rxLock) {
            discardUntilStart = false;
        }
        stopped = false;
        kick();
        // A restore may have replaced the frame the backend's reader waits on (restore sets the source's kept frame,
        // often none): wake the reader, or it waits for a wake-up that retryRx never sends.
        rxWakeup.run();
    }

    /** Whether the device is stopped (the VM paused). */
    public boolean stopped() {
        return stopped;
    }

    @Override
    public void quiesce() {
        stop();
    }

    private void kick() {
        scheduleTx();
        scheduleRx();
    }

    private void scheduleTx() {
        if (txScheduled.compareAndSet(false, true)) {
            io.execute(this::drainTx);
        }
    }

    private void scheduleRx() {
        if (rxScheduled.compareAndSet(false, true)) {
            io.execute(this::retryRx);
        }
    }

    /**
     * A frame from the host (the backend's reader thread). Delivered at once when the guest has buffers; otherwise
     * copied and kept, and the backend should read nothing more until the wake-up.
     *
     * @param frame an Ethernet frame, position to limit, without a virtio-net header; not kept after the call
     * @return true when the frame was delivered or dropped, false when it was kept
     */
    public boolean receive(ByteBuffer frame) {
        if (NetTrace.ENABLED) {
            trace.read();
        }
        synchronized (rxLock) {
            if (pending != null) {
                LOG.debug("a frame arrived while one is kept; the backend should wait for the wake-up");
                return false;
            }
            if (discardUntilStart) {
                stats.dropRx();
                return true;
            }
            if ((netStatus.get() & S_LINK_UP) == 0 || frame.remaining() > MAX_FRAME) {
                stats.dropRx();
                return true;
            }
            if (!stopped && deliver(frame)) {
                return true;
            }
            byte[] kept = new byte[frame.remaining()];
            frame.get(frame.position(), kept);
            pending = kept;
            if (NetTrace.ENABLED) {
                trace.kept();
            }
            // A receive kick that came between the failed delivery and the store above saw no kept frame and woke
            // nobody: look once more (the fence pairs with notify's), or the frame would wait for the next kick.
            VarHandle.fullFence();
            if (!stopped && deliver(ByteBuffer.wrap(kept))) {
                pending = null;
                return true;
            }
            return false;
        }
    }

    /**
     * Drops every frame from the host until the next {@link #start}: a migration destination waiting for the guest.
     * What its tap receives then is traffic of the guest still running on the source (flooded by the switches, and
     * delivered there too); kept, it would reach the guest after the switchover as a stale duplicate, and the
     * guest's answer would move the switches before any announcement. Frames of the last milliseconds (after the
     * source paused, before this guest runs) are dropped too, as frames that reach no running guest are. The
     * engine's start-up rehearsal of a restore does not end it: only the guest's start does.
     */
    public void discardUntilStart() {
        synchronized (rxLock) {
            discardUntilStart = true;
            pending = null;
        }
        rxWakeup.run();
    }

    /** Whether a frame from the host waits for a receive buffer. */
    public boolean rxBlocked() {
        return pending != null;
    }

    private void retryRx() {
        rxScheduled.set(false);
        boolean taken;
        synchronized (rxLock) {
            taken = pending != null && !stopped && deliver(ByteBuffer.wrap(pending));
            if (taken) {
                pending = null;
            }
        }
        if (taken) {
            rxWakeup.run();
        }
    }

    /** Copies a frame into receive buffers, under the receive lock; false when the guest has too few. */
    private boolean deliver(ByteBuffer frame) {
        List<VirtQueue> qs = queues;
        VirtioContext ctx = context;
        if (qs == null || ctx == null || !qs.get(RX).ready()) {
            return false;
        }
        VirtQueue q = qs.get(RX);
        GuestMemory memory = ctx.memory();
        int total = HEADER_BYTES + frame.remaining();
        rxScratch.clear().put(new byte[HEADER_BYTES]).put(frame.duplicate()).flip();
        boolean mergeable = (features & F_MRG_RXBUF) != 0;
        int[] heads = new int[mergeable ? Math.min(q.size(), total) : 1];
        int[] lengths = new int[heads.length];
        try {
            int n = 0;
            long room = 0;
            DescriptorChain[] chains = new DescriptorChain[heads.length];
            while (room < total && n < chains.length) {
                DescriptorChain c = q.pop(memory);
                if (c == null) {
                    q.unpop(n); // too few buffers now: the frame waits for more
                    return false;
                }
                chains[n++] = c;
                room += c.writableBytes();
            }
            if (room < total) {
                for (int i = 0; i < n; i++) {
                    heads[i] = chains[i].head();
                }
                q.addUsed(memory, heads, lengths, n); // zero-length: the driver drops them as too short
                stats.dropRx();
            } else {
                rxScratch.putShort(10, (short) n);
                int at = 0;
                for (int i = 0; i < n; i++) {
                    int len = (int) Math.min(chains[i].writableBytes(), total - at);
                    chains[i].writeStream(memory, 0, rxScratch.slice(at, len));
                    heads[i] = chains[i].head();
                    lengths[i] = len;
                    at += len;
                }
                q.addUsed(memory, heads, lengths, n);
                stats.received(frame.remaining());
            }
            if (q.needsInterrupt(memory)) {
                ctx.usedBuffers(RX);
            }
            if (NetTrace.ENABLED) {
                trace.delivered();
            }
            return true;
        } catch (VirtioException | GuestMemoryException e) {
            broken(ctx, e);
            return true;
        }
    }

    /** Serves transmit and control requests; runs on the executor. */
    private void drainTx() {
        txScheduled.set(false); // a notify from now on schedules another drain
        txLock.lock();
        try {
            List<VirtQueue> qs = queues;
            VirtioContext ctx = context;
            if (qs == null || ctx == null || stopped) {
                return;
            }
            if (NetTrace.ENABLED) {
                trace.txStart(false);
            }
            try {
                if (serveTx(qs.get(TX), ctx, TX_BUDGET) == TX_BUDGET) {
                    scheduleTx(); // more may wait: yield the thread to receive retries, come back after them
                }
                if ((features & F_CTRL_VQ) != 0) {
                    serveCtrl(qs.get(CTRL), ctx);
                }
            } catch (VirtioException | GuestMemoryException e) {
                broken(ctx, e);
            }
        } finally {
            txLock.unlock();
        }
    }

    /**
     * Serves a transmit kick on the kicking thread (the vCPU) when no drain is scheduled or running: at most
     * {@value #INLINE_TX_BUDGET} frames, each one write to the backend, so the answer to a frame leaves without
     * waking the I/O thread (a thread hand-off costs more than the write on a loaded host). A longer queue (a guest
     * flooding transmit) goes on to the I/O thread in {@value #TX_BUDGET}-frame drains, so the vCPU never serves
     * more than this bound per kick.
     *
     * @return true when the queue was served to its end here; false when the I/O thread must (a sink that may
     *         block, a drain busy, the device stopped or inactive, or more than the bound waiting)
     */
    private boolean txInline() {
        if (!INLINE_TX || !sink.neverBlocks() || txScheduled.get() || !txLock.tryLock()) {
            return false;
        }
        try {
            List<VirtQueue> qs = queues;
            VirtioContext ctx = context;
            if (qs == null || ctx == null || stopped) {
                return false;
            }
            if (NetTrace.ENABLED) {
                trace.txStart(true);
            }
            try {
                return serveTx(qs.get(TX), ctx, INLINE_TX_BUDGET) < INLINE_TX_BUDGET;
            } catch (VirtioException | GuestMemoryException e) {
                broken(ctx, e);
                return true;
            }
        } finally {
            txLock.unlock();
        }
    }

    /** Sends up to {@code budget} frames, then interrupts the guest if it asked; returns the frames served. */
    private int serveTx(VirtQueue q, VirtioContext ctx, int budget) {
        if (!q.ready()) {
            return 0;
        }
        GuestMemory memory = ctx.memory();
        int served = 0;
        DescriptorChain chain;
        while (served < budget && (chain = q.pop(memory)) != null) {
            long length = chain.readableBytes();
            if (length < HEADER_BYTES || length > HEADER_BYTES + MAX_FRAME) {
                stats.dropTx();
            } else {
                txScratch.clear().limit((int) length);
                chain.readStream(memory, 0, txScratch);
                ByteBuffer frame = txScratch.flip().position(HEADER_BYTES);
                if ((netStatus.get() & S_LINK_UP) == 0) {
                    stats.dropTx();
                } else if (sendTraced(frame)) {
                    stats.sent((int) length - HEADER_BYTES);
                } else {
                    stats.txError();
                }
            }
            q.addUsed(memory, chain.head(), 0);
            served++;
        }
        if (served > 0 && q.needsInterrupt(memory)) {
            ctx.usedBuffers(TX);
        }
        if (NetTrace.ENABLED) {
            trace.txBatch(served);
        }
        return served;
    }

    private boolean sendTraced(ByteBuffer frame) {
        if (!NetTrace.ENABLED) {
            return sink.send(frame);
        }
        long writing = trace.writing();
        boolean sent = sink.send(frame);
        trace.written(writing);
        return sent;
    }

    private void serveCtrl(VirtQueue q, VirtioContext ctx) {
        if (!q.ready()) {
            return;
        }
        GuestMemory memory = ctx.memory();
        boolean any = false;
        DescriptorChain chain;
        while ((chain = q.pop(memory)) != null) {
            ByteBuffer head = ByteBuffer.allocate(2);
            chain.readStream(memory, 0, head);
            int ack = 1;
            if (chain.readableBytes() >= 2 && chain.writableBytes() >= 1) {
                ack = control(head.get(0) & 0xff, head.get(1) & 0xff) ? 0 : 1;
            }
            int written = chain.writableBytes() >= 1 ? 1 : 0;
            if (written == 1) {
                chain.writeStream(memory, 0, ByteBuffer.wrap(new byte[] {(byte) ack}));
            }
            q.addUsed(memory, chain.head(), written);
            any = true;
        }
        if (any && q.needsInterrupt(memory)) {
            ctx.usedBuffers(CTRL);
        }
    }

    /** One control command; true for VIRTIO_NET_OK. */
    private boolean control(int cls, int cmd) {
        if (cls == CTRL_ANNOUNCE && cmd == CTRL_ANNOUNCE_ACK) {
            netStatus.updateAndGet(s -> s & ~S_ANNOUNCE);
            return true;
        }
        return cls == CTRL_RX && cmd <= 1; // PROMISC, ALLMULTI: every frame reaches the guest anyway
    }

    private void broken(VirtioContext ctx, RuntimeException e) {
        queues = null;
        ctx.needsReset("virtio-net " + mac + ": " + e.getMessage());
    }

    /**
     * Asks the guest to announce itself (gratuitous ARP for its addresses): sets VIRTIO_NET_S_ANNOUNCE and raises a
     * configuration interrupt, when the driver negotiated GUEST_ANNOUNCE (with CTRL_VQ, for its acknowledgement).
     *
     * @return whether the guest was asked
     */
    public boolean announceGuest() {
        VirtioContext ctx = context;
        long f = features;
        if (ctx == null || (f & F_GUEST_ANNOUNCE) == 0 || (f & F_CTRL_VQ) == 0) {
            return false;
        }
        netStatus.updateAndGet(s -> s | S_ANNOUNCE);
        ctx.configChanged();
        return true;
    }

    /** Whether the guest was asked to announce and has not acknowledged yet. */
    public boolean announcePending() {
        return (netStatus.get() & S_ANNOUNCE) != 0;
    }

    /** Sets the link status the guest sees (QEMU's {@code set_link}); a down link drops frames both ways. */
    public void setLinkUp(boolean up) {
        int before = netStatus.getAndUpdate(s -> up ? s | S_LINK_UP : s & ~S_LINK_UP);
        VirtioContext ctx = context;
        if (((before & S_LINK_UP) != 0) != up && ctx != null && (features & F_STATUS) != 0) {
            ctx.configChanged();
        }
    }

    /** Whether the link is up. */
    public boolean linkUp() {
        return (netStatus.get() & S_LINK_UP) != 0;
    }

    /** The ANNOUNCE bit and the kept frame, for the migration section; call stopped. */
    public VirtioNetState save(org.jkvm.devices.virtio.VirtioPciState pci) {
        synchronized (rxLock) {
            return new VirtioNetState(pci, netStatus.get() & S_ANNOUNCE, pending == null ? new byte[0] : pending);
        }
    }

    /** Restores what {@link #save} kept, after the transport's restore; call stopped. */
    public void restore(VirtioNetState s) {
        synchronized (rxLock) {
            netStatus.updateAndGet(v -> (v & ~S_ANNOUNCE) | (s.netStatus() & S_ANNOUNCE));
            byte[] frame = s.pendingFrame();
            pending = frame.length == 0 ? null : frame;
        }
    }
}
