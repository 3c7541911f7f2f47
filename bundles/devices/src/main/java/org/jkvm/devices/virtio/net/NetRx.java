package org.jkvm.devices.virtio.net;

import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import org.jkvm.devices.virtio.DescriptorChain;
import org.jkvm.devices.virtio.VirtQueue;
import org.jkvm.devices.virtio.VirtioDevice.VirtioContext;
import org.jkvm.devices.virtio.VirtioException;
import org.jkvm.memory.GuestMemory;
import org.jkvm.memory.GuestMemoryException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * virtio-net's receive path (virtio 1.2, 5.1.6.3-4): frames from the host written into the guest's receive queue
 * behind a 12-byte header that says "no offload", one chain per frame or, with MRG_RXBUF, as many as the frame needs,
 * all published together with {@code num_buffers}. A frame the guest has no buffer for is kept (the backend reads
 * nothing more until the wake-up) and delivered when the driver posts buffers; only then does a receive kick wake the
 * I/O thread.
 *
 * <p>Thread-safety: {@link #receive} runs on the backend's reader thread, {@link #kick} on the vCPU thread, the retry
 * on the I/O thread; delivery holds {@link #lock} (taken before the transmit lock when both are needed).
 */
final class NetRx {
    private static final Logger LOG = LoggerFactory.getLogger(NetRx.class);
    private final VirtioNet device;
    private final Executor io;
    /** Guards delivery, the kept frame and the discard flag. */
    final Object lock = new Object();
    private final AtomicBoolean scheduled = new AtomicBoolean();
    /** Frames delivered since the guest's last transmit kick: more than one means the guest has a backlog. */
    private final AtomicInteger sinceTxKick = new AtomicInteger();
    private final ByteBuffer scratch = ByteBuffer.allocate(VirtioNet.HEADER_BYTES + VirtioNet.MAX_FRAME)
            .order(ByteOrder.LITTLE_ENDIAN);
    /** A frame's chains, heads and used lengths, reused under {@link #lock}: delivery allocates nothing per frame. */
    private final DescriptorChain[] chains = new DescriptorChain[VirtioNet.QUEUE_SIZE];
    private final int[] heads = new int[VirtioNet.QUEUE_SIZE];
    private final int[] lengths = new int[VirtioNet.QUEUE_SIZE];
    /** Frames from the host are dropped until the next start (guarded by lock). */
    private boolean discardUntilStart;
    /** The frame kept for want of receive buffers (written under lock; volatile for {@link #kick}'s look). */
    private volatile byte[] pending;
    private volatile Runnable wakeup = () -> { };

    NetRx(VirtioNet device, Executor io) {
        this.device = device;
        this.io = io;
    }

    void setWakeup(Runnable r) {
        wakeup = r;
    }

    void wakeReader() {
        wakeup.run();
    }

    /** The guest posted receive buffers (on the vCPU thread). */
    void kick() {
        // New buffers matter only to a kept frame: without one the kick needs no I/O thread (the reader's next
        // frame finds the buffers itself). The fence pairs with receive's, which looks again after keeping one.
        VarHandle.fullFence();
        boolean kept = pending != null;
        if (NetTrace.ENABLED) {
            device.trace().rxKick(kept);
        }
        if (kept) {
            schedule();
        }
    }

    void schedule() {
        if (scheduled.compareAndSet(false, true)) {
            io.execute(this::retry);
        }
    }

    /**
     * Whether the guest is behind on what it received: a frame waits for a receive buffer, or more than one frame was
     * delivered since its last transmit kick (which this call counts from). A burst, not a one-in-flight exchange.
     */
    boolean backlogAtTxKick() {
        return sinceTxKick.getAndSet(0) > 1 || pending != null;
    }

    /** See {@link VirtioNet#receive}. */
    boolean receive(ByteBuffer frame) {
        if (NetTrace.ENABLED) {
            device.trace().read();
        }
        synchronized (lock) {
            if (pending != null) {
                LOG.debug("a frame arrived while one is kept; the backend should wait for the wake-up");
                return false;
            }
            if (discardUntilStart || !device.linkUp() || frame.remaining() > VirtioNet.MAX_FRAME) {
                device.stats().dropRx();
                return true;
            }
            if (!device.stopped() && deliver(frame)) {
                return true;
            }
            byte[] kept = new byte[frame.remaining()];
            frame.get(frame.position(), kept);
            pending = kept;
            if (NetTrace.ENABLED) {
                device.trace().kept();
            }
            // A receive kick that came between the failed delivery and the store above saw no kept frame and woke
            // nobody: look once more (the fence pairs with kick's), or the frame would wait for the next kick.
            VarHandle.fullFence();
            if (!device.stopped() && deliver(ByteBuffer.wrap(kept))) {
                pending = null;
                return true;
            }
            return false;
        }
    }

    /** See {@link VirtioNet#discardUntilStart}. */
    void discardUntilStart() {
        synchronized (lock) {
            discardUntilStart = true;
            pending = null;
        }
        wakeup.run();
    }

    /** Ends the discarding (the guest starts). */
    void started() {
        synchronized (lock) {
            discardUntilStart = false;
        }
    }

    boolean blocked() {
        return pending != null;
    }

    /** The kept frame, or an empty array; call under {@link #lock}. */
    byte[] kept() {
        byte[] p = pending;
        return p == null ? new byte[0] : p;
    }

    /** Replaces the kept frame (empty for none); call under {@link #lock}. */
    void setKept(byte[] frame) {
        pending = frame.length == 0 ? null : frame;
    }

    private void retry() {
        scheduled.set(false);
        boolean taken;
        synchronized (lock) {
            taken = pending != null && !device.stopped() && deliver(ByteBuffer.wrap(pending));
            if (taken) {
                pending = null;
            }
        }
        if (taken) {
            wakeup.run();
        }
    }

    /** Copies a frame into receive buffers, under the lock; false when the guest has too few. */
    private boolean deliver(ByteBuffer frame) {
        List<VirtQueue> qs = device.queues();
        VirtioContext ctx = device.context();
        if (qs == null || ctx == null || !qs.get(VirtioNet.RX).ready()) {
            return false;
        }
        VirtQueue q = qs.get(VirtioNet.RX);
        GuestMemory memory = ctx.memory();
        int total = VirtioNet.HEADER_BYTES + frame.remaining();
        // the header: no offload, num_buffers set by fill
        scratch.clear().putLong(0L).putInt(0).put(frame.duplicate()).flip();
        int most = device.mergeable() ? Math.min(Math.min(q.size(), chains.length), total) : 1;
        try {
            int n = 0;
            long room = 0;
            while (room < total && n < most) {
                DescriptorChain c = q.pop(memory);
                if (c == null) {
                    q.unpop(n); // too few buffers now: the frame waits for more
                    return false;
                }
                chains[n++] = c;
                room += c.writableBytes();
            }
            fill(q, memory, n, room >= total ? total : -1);
            if (room >= total) {
                device.stats().received(frame.remaining());
            } else {
                device.stats().dropRx(); // zero-length buffers: the driver drops them as too short
            }
            if (q.needsInterrupt(memory)) {
                ctx.usedBuffers(VirtioNet.RX);
            }
            sinceTxKick.incrementAndGet();
            if (NetTrace.ENABLED) {
                device.trace().delivered();
            }
            return true;
        } catch (VirtioException | GuestMemoryException e) {
            device.broken(ctx, e);
            return true;
        }
    }

    /** Writes the scratch frame ({@code total} bytes; -1: none, the chains go back empty) and publishes the chains. */
    private void fill(VirtQueue q, GuestMemory memory, int n, int total) {
        if (total >= 0) {
            scratch.putShort(10, (short) n);
        }
        int at = 0;
        for (int i = 0; i < n; i++) {
            heads[i] = chains[i].head();
            if (total >= 0) {
                int len = (int) Math.min(chains[i].writableBytes(), total - at);
                chains[i].writeStream(memory, 0, scratch.slice(at, len));
                lengths[i] = len;
                at += len;
            } else {
                lengths[i] = 0;
            }
            chains[i] = null; // no guest chain outlives its frame here
        }
        q.addUsed(memory, heads, lengths, n);
    }
}
