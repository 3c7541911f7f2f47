package org.jkvm.devices.virtio.net;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicInteger;

import org.jkvm.devices.virtio.VirtQueue;
import org.jkvm.devices.virtio.VirtioDevice;
import org.jkvm.devices.virtio.VirtioPciState;
import org.jkvm.devices.virtio.VirtioPciTransport;

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
 * <p>Threads ({@link NetTx}, {@link NetRx}): a transmit kick with a short queue, when the guest is not behind on
 * what it received, is served on the kicking (vCPU) thread if the sink {@linkplain FrameSink#neverBlocks never
 * blocks}, at most {@value #INLINE_TX_BUDGET} frames: a reply leaves without a thread hand-off. Anything more, bursts
 * and control requests run on the injected executor, a drain serving at most {@value #TX_BUDGET} frames before it
 * queues itself again, so a guest flooding transmit never holds the vCPU for more than that bound per kick nor starves
 * the other work. Frames from the host arrive on the backend's reader thread through {@link #receive}, which writes
 * them into the receive ring and raises the interrupt itself, then serves a transmit drain the executor has not
 * started yet (a sink that never blocks only: one running thread does both, as QEMU's main loop); a frame the guest
 * has no buffer for is kept (the backend stops reading until the {@linkplain #setRxWakeup wake-up}) and delivered
 * when the driver posts buffers (only then does a receive kick wake the executor). The device starts stopped:
 * {@link #start} and {@link #stop} follow the VM's run state, so nothing touches guest memory while the VM is paused
 * (a migration's last pass).
 * Receive work holds the receive lock, transmit and control work the transmit lock (taken in that order; the kicking
 * and reading threads only try the transmit lock), which {@link #stop} and {@link #reset} take to wait for running
 * work.
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
    /** The largest frame either way (a 64 KiB frame; without offloads the guest sends at most its MTU). */
    static final int MAX_FRAME = 65536;

    private final MacAddress mac;
    private final NetStats stats = new NetStats();
    private final NetTrace trace = new NetTrace();
    private final NetRx rx;
    private final NetTx tx;
    private final AtomicInteger netStatus = new AtomicInteger(S_LINK_UP);
    private volatile List<VirtQueue> queues;
    private volatile VirtioContext context;
    private volatile long features;
    private volatile boolean stopped = true;

    /**
     * @param mac  the address the guest reads from the configuration
     * @param sink where transmitted frames go
     * @param io   where transmit and control requests run (an I/O thread); never the vCPU thread
     */
    public VirtioNet(MacAddress mac, FrameSink sink, Executor io) {
        this.mac = mac;
        this.rx = new NetRx(this, io);
        this.tx = new NetTx(this, sink, io);
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
        rx.setWakeup(wakeup);
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
            rx.kick();
        } else if (queue == TX) {
            tx.kick(rx.backlogAtTxKick());
        } else {
            tx.schedule();
        }
    }

    @Override
    public void reset() {
        underBothLocks(() -> {
            queues = null;
            context = null;
            features = 0;
            rx.setKept(new byte[0]);
            netStatus.updateAndGet(s -> s & ~S_ANNOUNCE);
        });
        rx.wakeReader(); // the backend may read again: frames for an inactive device are kept one at a time
    }

    /** Stops serving queues and waits for the running work: the VM is paused; {@link #start} undoes it. */
    public void stop() {
        underBothLocks(() -> stopped = true);
    }

    /** Runs {@code r} holding the receive lock, then the transmit lock (the order every path takes them in). */
    private void underBothLocks(Runnable r) {
        synchronized (rx.lock) {
            tx.lock.lock();
            try {
                r.run();
            } finally {
                tx.lock.unlock();
            }
        }
    }

    /** Serves the queues again (the VM runs): requests and a kept frame waiting since the stop are served now. */
    public void start() {
        rx.started();
        stopped = false;
        kick();
        // A restore may have replaced the frame the backend's reader waits on (restore sets the source's kept frame,
        // often none): wake the reader, or it waits for a wake-up that retryRx never sends.
        rx.wakeReader();
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
        tx.schedule();
        rx.schedule();
    }

    /**
     * A frame from the host (the backend's reader thread). Delivered at once when the guest has buffers; otherwise
     * copied and kept, and the backend should read nothing more until the wake-up.
     *
     * @param frame an Ethernet frame, position to limit, without a virtio-net header; not kept after the call.
     *              A transmit drain scheduled and not started yet runs on this thread before the call returns.
     * @return true when the frame was delivered or dropped, false when it was kept
     */
    public boolean receive(ByteBuffer frame) {
        boolean taken = rx.receive(frame);
        tx.help(); // a transmit drain the I/O thread has not started yet runs here (NetTx.help)
        return taken;
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
        rx.discardUntilStart();
    }

    /** Whether a frame from the host waits for a receive buffer. */
    public boolean rxBlocked() {
        return rx.blocked();
    }

    List<VirtQueue> queues() {
        return queues;
    }

    VirtioContext context() {
        return context;
    }

    boolean mergeable() {
        return (features & F_MRG_RXBUF) != 0;
    }

    boolean controlQueue() {
        return (features & F_CTRL_VQ) != 0;
    }

    /** One control command; true for VIRTIO_NET_OK. */
    boolean control(int cls, int cmd) {
        if (cls == CTRL_ANNOUNCE && cmd == CTRL_ANNOUNCE_ACK) {
            netStatus.updateAndGet(s -> s & ~S_ANNOUNCE);
            return true;
        }
        return cls == CTRL_RX && cmd <= 1; // PROMISC, ALLMULTI: every frame reaches the guest anyway
    }

    /** The driver broke the protocol: the queues stop and the transport asks the driver to reset. */
    void broken(VirtioContext ctx, RuntimeException e) {
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
    public VirtioNetState save(VirtioPciState pci) {
        synchronized (rx.lock) {
            return new VirtioNetState(pci, netStatus.get() & S_ANNOUNCE, rx.kept());
        }
    }

    /** Restores what {@link #save} kept, after the transport's restore; call stopped. */
    public void restore(VirtioNetState s) {
        synchronized (rx.lock) {
            netStatus.updateAndGet(v -> (v & ~S_ANNOUNCE) | (s.netStatus() & S_ANNOUNCE));
            rx.setKept(s.pendingFrame());
        }
    }
}
