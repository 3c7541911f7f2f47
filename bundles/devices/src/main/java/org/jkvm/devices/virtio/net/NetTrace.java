package org.jkvm.devices.virtio.net;

import java.util.Arrays;

/**
 * A debug counter set that breaks a round trip through the guest (a frame in, the guest's answer out) into the
 * device's stages, with {@link System#nanoTime} stamps: the host frame handed to the device (the tap reader woke and
 * read it) -> the frame in the guest's receive ring with the interrupt raised -> the guest's transmit kick (the guest
 * noticed, handled and answered) -> the transmit drain started (the hand-off to the thread that serves it) -> the
 * frame handed to the backend (and how long that write took). Off unless the system property {@code jkvm.net.trace}
 * is {@code true}: then each stage costs one {@code nanoTime} and a store, no log line. A round trip is counted when
 * exactly one received frame precedes a transmit kick (one datagram in flight, as {@code NetProbe} sends them); the
 * last {@value #SAMPLES} of each segment are kept and their median shown by {@link #summary} (HMP
 * {@code info network}).
 *
 * <p>Thread-safety: stamps come from the reader thread (receive), the vCPU thread (kick) and the transmit thread; a
 * segment is written by one thread at a time in a one-in-flight exchange, and a torn sample under concurrent traffic
 * only blurs a debug figure. {@link #summary} may run on any thread.
 */
public final class NetTrace {
    /** Whether tracing is on ({@code -Djkvm.net.trace=true}); read once. */
    public static final boolean ENABLED = Boolean.getBoolean("jkvm.net.trace");
    /** Samples kept per segment. */
    static final int SAMPLES = 1024;
    private static final String[] NAMES = {"rx(read->ring+irq)", "guest(irq->tx kick)", "handoff(kick->tx start)",
        "tx(start->write)", "write(syscall)", "device(read->write)"};
    private final long[][] samples = new long[NAMES.length][SAMPLES];
    private final long[] counts = new long[NAMES.length];
    private volatile long read;
    private volatile long delivered;
    private volatile long kicked;
    private volatile long txStart;
    private volatile int rxSinceKick;
    private volatile long inlineTx;
    private volatile long threadTx;
    private volatile long helpedTx;
    private volatile long rxKicks;
    private volatile long rxHandoffs;
    private volatile long rxKept;
    private volatile int txBatchMax;

    /** A frame from the host reached the device. */
    void read() {
        read = System.nanoTime();
    }

    /** That frame is in the receive ring and the guest was interrupted (or needed none). */
    void delivered() {
        long now = System.nanoTime();
        if (read != 0) {
            add(0, now - read);
        }
        delivered = now;
        rxSinceKick++;
    }

    /** The guest kicked the transmit queue. */
    void txKick() {
        long now = System.nanoTime();
        kicked = now;
        if (rxSinceKick == 1 && delivered != 0) {
            add(1, now - delivered);
        } else {
            kicked = 0; // not a one-in-flight exchange: no hand-off or device sample either
        }
        rxSinceKick = 0;
    }

    /** The backend's reader served a scheduled transmit drain before the I/O thread did ({@link NetTx#help}). */
    void txHelped() {
        helpedTx++;
    }

    /** A transmit drain starts serving; {@code inline} when on the kicking thread. */
    void txStart(boolean inline) {
        long now = System.nanoTime();
        if (inline) {
            inlineTx++;
        } else {
            threadTx++;
        }
        txStart = kicked != 0 ? now : 0;
        if (kicked != 0) {
            add(2, now - kicked);
            kicked = 0;
        }
    }

    /**
     * The first frame of that drain goes to the backend now; returns the stamp for {@link #written}, 0 for none. The
     * frame leaves during the write: a tap write runs the host's delivery (bridge, the client's socket) before it
     * returns, and the client's next frame may be read meanwhile, so the device segment ends here.
     */
    long writing() {
        if (txStart == 0) {
            return 0;
        }
        long now = System.nanoTime();
        add(3, now - txStart);
        if (read != 0) {
            add(5, now - read);
        }
        txStart = 0;
        read = 0;
        return now;
    }

    /** The write {@link #writing} stamped returned. */
    void written(long writing) {
        if (writing != 0) {
            add(4, System.nanoTime() - writing);
        }
    }

    /** The guest kicked the receive queue; {@code handedOff} when that scheduled work on the I/O thread. */
    void rxKick(boolean handedOff) {
        rxKicks++;
        if (handedOff) {
            rxHandoffs++;
        }
    }

    /** A frame from the host found no receive buffer and was kept (the reader stops until the guest posts one). */
    void kept() {
        rxKept++;
    }

    /** A transmit drain served {@code frames} frames (the guest's queue was that long). */
    void txBatch(int frames) {
        if (frames > txBatchMax) {
            txBatchMax = frames;
        }
    }

    private synchronized void add(int segment, long nanos) {
        samples[segment][(int) (counts[segment]++ % SAMPLES)] = nanos;
    }

    /**
     * One line: per segment the samples counted and the median of the last {@value #SAMPLES} in microseconds, then
     * how many transmit drains ran on the kicking thread and on the I/O thread, how many receive kicks the guest
     * made and how many of them woke the I/O thread, how many host frames had to wait for a receive buffer, and the
     * longest transmit queue one drain found. Empty when tracing is off.
     */
    public synchronized String summary() {
        if (!ENABLED) {
            return "";
        }
        StringBuilder b = new StringBuilder("trace:");
        for (int s = 0; s < NAMES.length; s++) {
            int n = (int) Math.min(counts[s], SAMPLES);
            long[] sorted = Arrays.copyOf(samples[s], n);
            Arrays.sort(sorted);
            b.append(' ').append(NAMES[s]).append(" n=").append(counts[s]).append(" med=")
                    .append(n == 0 ? "-" : String.format("%.1fus", sorted[n / 2] / 1000.0));
        }
        return b.append(" tx_inline=").append(inlineTx).append(" tx_thread=").append(threadTx)
                .append(" tx_helped=").append(helpedTx).append(" rx_kicks=")
                .append(rxKicks).append(" rx_handoffs=").append(rxHandoffs).append(" rx_kept=").append(rxKept)
                .append(" tx_batch_max=").append(txBatchMax).toString();
    }
}
