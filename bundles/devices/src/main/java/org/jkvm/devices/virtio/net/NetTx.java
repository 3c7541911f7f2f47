package org.jkvm.devices.virtio.net;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.ReentrantLock;

import org.jkvm.devices.virtio.DescriptorChain;
import org.jkvm.devices.virtio.VirtQueue;
import org.jkvm.devices.virtio.VirtioDevice.VirtioContext;
import org.jkvm.devices.virtio.VirtioException;
import org.jkvm.memory.GuestMemory;
import org.jkvm.memory.GuestMemoryException;

/**
 * virtio-net's transmit and control paths (virtio 1.2, 5.1.6.2 and 5.1.6.5): each transmit chain, its header
 * skipped (no offloads were offered), is one write to the {@link FrameSink}; control requests are answered with an
 * ack byte.
 *
 * <p>Where the work runs: a transmit kick is served on the kicking (vCPU) thread when the sink never blocks, no
 * drain is scheduled, the queue is short (at most {@value VirtioNet#INLINE_TX_BUDGET} frames) and the guest is not
 * behind on what it received ({@link NetRx#backlogAtTxKick}): a reply to a lone frame then leaves without a thread
 * hand-off. In a burst the vCPU is the bottleneck, so the writes (a tap write runs the host's delivery to the peer
 * before it returns) go to the I/O thread and run beside the guest. Control requests and longer queues always go
 * there, a drain serving at most {@value VirtioNet#TX_BUDGET} frames before it queues itself again, so a guest
 * flooding transmit never holds the vCPU for more than the inline bound per kick nor starves other work.
 *
 * <p>Thread-safety: transmit and control work hold {@link #lock} (taken after the receive lock when both are
 * needed); the kicking thread only tries it.
 */
final class NetTx {
    /** {@code -Djkvm.net.inline-tx=false} serves every transmit kick on the I/O thread (a debug switch, benchmarks). */
    private static final boolean INLINE_TX = !"false".equals(System.getProperty("jkvm.net.inline-tx"));
    /** {@code -Djkvm.net.burst-tx=inline} serves kicks inline even when the guest is behind (benchmarks' A/B). */
    private static final boolean BURST_INLINE = "inline".equals(System.getProperty("jkvm.net.burst-tx"));
    /** {@code -Djkvm.net.reader-tx=false}: the reader never serves a transmit drain ({@link #help}; for A/B). */
    private static final boolean READER_TX = !"false".equals(System.getProperty("jkvm.net.reader-tx"));
    private final VirtioNet device;
    private final FrameSink sink;
    private final Executor io;
    /** A lock rather than a monitor: the kicking thread only tries it ({@link #inline}). */
    final ReentrantLock lock = new ReentrantLock();
    private final AtomicBoolean scheduled = new AtomicBoolean();
    private final ByteBuffer scratch = ByteBuffer.allocateDirect(VirtioNet.HEADER_BYTES + VirtioNet.MAX_FRAME);

    NetTx(VirtioNet device, FrameSink sink, Executor io) {
        this.device = device;
        this.sink = sink;
        this.io = io;
    }

    /** The guest kicked the transmit queue (on the vCPU thread); {@code backlog}: it is behind on receive. */
    void kick(boolean backlog) {
        if (NetTrace.ENABLED) {
            device.trace().txKick();
        }
        if ((backlog && !BURST_INLINE) || !inline()) {
            schedule();
        }
    }

    void schedule() {
        if (scheduled.compareAndSet(false, true)) {
            io.execute(this::drain);
        }
    }

    /** Serves transmit and control requests; runs on the executor. */
    private void drain() {
        scheduled.set(false); // a notify from now on schedules another drain
        lock.lock();
        try {
            List<VirtQueue> qs = device.queues();
            VirtioContext ctx = device.context();
            if (qs == null || ctx == null || device.stopped()) {
                return;
            }
            if (NetTrace.ENABLED) {
                device.trace().txStart(false);
            }
            try {
                if (serve(qs.get(VirtioNet.TX), ctx, VirtioNet.TX_BUDGET) == VirtioNet.TX_BUDGET) {
                    schedule(); // more may wait: yield the thread to receive retries, come back after them
                }
                if (device.controlQueue()) {
                    serveCtrl(qs.get(VirtioNet.CTRL), ctx);
                }
            } catch (VirtioException | GuestMemoryException e) {
                device.broken(ctx, e);
            }
        } finally {
            lock.unlock();
        }
    }

    /**
     * Serves the transmit queue on the calling thread, the backend's reader after it delivered a frame, when a drain
     * is scheduled and the I/O thread has not started it: in a burst the reader runs for every frame, while the I/O
     * thread waits for a CPU at each wake-up (2-5 ms per wake-up on a loaded 2-core host, measured by NetBench's
     * runqueue figures), during which the guest's transmit ring filled and it dropped its answers. The reader is
     * then what QEMU's main loop is: receive and transmit on one running thread. The scheduled drain still runs
     * (it finds little or nothing), so no kick is lost. Only for a sink that never blocks (the reader must not wait
     * on the peer), at most {@value VirtioNet#TX_BUDGET} frames.
     */
    void help() {
        if (!READER_TX || !scheduled.get() || !sink.neverBlocks() || !lock.tryLock()) {
            return;
        }
        try {
            List<VirtQueue> qs = device.queues();
            VirtioContext ctx = device.context();
            if (qs == null || ctx == null || device.stopped()) {
                return;
            }
            if (NetTrace.ENABLED) {
                device.trace().txHelped();
            }
            try {
                serve(qs.get(VirtioNet.TX), ctx, VirtioNet.TX_BUDGET);
            } catch (VirtioException | GuestMemoryException e) {
                device.broken(ctx, e);
            }
        } finally {
            lock.unlock();
        }
    }

    /**
     * Serves a transmit kick on the kicking thread when no drain is scheduled or running: at most
     * {@value VirtioNet#INLINE_TX_BUDGET} frames, each one write to the backend, so the answer to a frame leaves
     * without waking the I/O thread (a thread hand-off costs more than the write on a loaded host).
     *
     * @return true when the queue was served to its end here; false when the I/O thread must (a sink that may
     *         block, a drain busy, the device stopped or inactive, or more than the bound waiting)
     */
    private boolean inline() {
        if (!INLINE_TX || !sink.neverBlocks() || scheduled.get() || !lock.tryLock()) {
            return false;
        }
        try {
            List<VirtQueue> qs = device.queues();
            VirtioContext ctx = device.context();
            if (qs == null || ctx == null || device.stopped()) {
                return false;
            }
            if (NetTrace.ENABLED) {
                device.trace().txStart(true);
            }
            try {
                return serve(qs.get(VirtioNet.TX), ctx, VirtioNet.INLINE_TX_BUDGET) < VirtioNet.INLINE_TX_BUDGET;
            } catch (VirtioException | GuestMemoryException e) {
                device.broken(ctx, e);
                return true;
            }
        } finally {
            lock.unlock();
        }
    }

    /** Sends up to {@code budget} frames, then interrupts the guest if it asked; returns the frames served. */
    private int serve(VirtQueue q, VirtioContext ctx, int budget) {
        if (!q.ready()) {
            return 0;
        }
        GuestMemory memory = ctx.memory();
        NetStats stats = device.stats();
        int served = 0;
        DescriptorChain chain;
        while (served < budget && (chain = q.pop(memory)) != null) {
            long length = chain.readableBytes();
            if (length < VirtioNet.HEADER_BYTES || length > VirtioNet.HEADER_BYTES + VirtioNet.MAX_FRAME) {
                stats.dropTx();
            } else {
                scratch.clear().limit((int) length);
                chain.readStream(memory, 0, scratch);
                ByteBuffer frame = scratch.flip().position(VirtioNet.HEADER_BYTES);
                if (!device.linkUp()) {
                    stats.dropTx();
                } else if (send(frame)) {
                    stats.sent((int) length - VirtioNet.HEADER_BYTES);
                } else {
                    stats.txError();
                }
            }
            q.addUsed(memory, chain.head(), 0);
            served++;
        }
        if (served > 0 && q.needsInterrupt(memory)) {
            ctx.usedBuffers(VirtioNet.TX);
        }
        if (NetTrace.ENABLED) {
            device.trace().txBatch(served);
        }
        return served;
    }

    private boolean send(ByteBuffer frame) {
        if (!NetTrace.ENABLED) {
            return sink.send(frame);
        }
        long writing = device.trace().writing();
        boolean sent = sink.send(frame);
        device.trace().written(writing);
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
                ack = device.control(head.get(0) & 0xff, head.get(1) & 0xff) ? 0 : 1;
            }
            int written = chain.writableBytes() >= 1 ? 1 : 0;
            if (written == 1) {
                chain.writeStream(memory, 0, ByteBuffer.wrap(new byte[] {(byte) ack}));
            }
            q.addUsed(memory, chain.head(), written);
            any = true;
        }
        if (any && q.needsInterrupt(memory)) {
            ctx.usedBuffers(VirtioNet.CTRL);
        }
    }
}
