package org.jkvm.devices.virtio.net;

import java.util.concurrent.atomic.AtomicLong;

/**
 * A NIC's counters as the guest sees them ({@code virsh domifstat} shows them from the host's side, so rx here is
 * what the guest received). Thread-safe: atomics, updated by the device's threads, read by the monitor.
 */
public final class NetStats {
    private final AtomicLong rxPackets = new AtomicLong();
    private final AtomicLong rxBytes = new AtomicLong();
    private final AtomicLong rxDropped = new AtomicLong();
    private final AtomicLong txPackets = new AtomicLong();
    private final AtomicLong txBytes = new AtomicLong();
    private final AtomicLong txErrors = new AtomicLong();
    private final AtomicLong txDropped = new AtomicLong();

    void received(int bytes) {
        rxPackets.incrementAndGet();
        rxBytes.addAndGet(bytes);
    }

    void dropRx() {
        rxDropped.incrementAndGet();
    }

    void sent(int bytes) {
        txPackets.incrementAndGet();
        txBytes.addAndGet(bytes);
    }

    void txError() {
        txErrors.incrementAndGet();
    }

    void dropTx() {
        txDropped.incrementAndGet();
    }

    /** Frames delivered to the guest. */
    public long rxPackets() {
        return rxPackets.get();
    }

    /** Bytes of frames delivered to the guest (without the virtio-net header). */
    public long rxBytes() {
        return rxBytes.get();
    }

    /** Frames from the host the guest could not take (too large for its buffers, link down). */
    public long rxDropped() {
        return rxDropped.get();
    }

    /** Frames the guest transmitted and the backend took. */
    public long txPackets() {
        return txPackets.get();
    }

    /** Bytes of the frames counted by {@link #txPackets()}. */
    public long txBytes() {
        return txBytes.get();
    }

    /** Frames the backend refused. */
    public long txErrors() {
        return txErrors.get();
    }

    /** Frames the guest transmitted that were dropped (malformed, link down). */
    public long txDropped() {
        return txDropped.get();
    }
}
