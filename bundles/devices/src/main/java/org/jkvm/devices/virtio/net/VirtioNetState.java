package org.jkvm.devices.virtio.net;

import java.util.Arrays;
import java.util.Objects;

import org.jkvm.devices.virtio.VirtioPciState;

/**
 * The migratable state of a virtio-net PCI function: the transport's, the device status the driver sees, and the
 * frame the host delivered that the guest had no receive buffer for yet (the one receive in flight: it is delivered
 * on the destination as soon as the guest posts a buffer). Transmit requests in flight stay in the available ring in
 * guest RAM and are served when the destination's device starts.
 *
 * @param pci          the PCI function and its queues
 * @param netStatus    the config's status field bits the guest may see: VIRTIO_NET_S_ANNOUNCE (2) still pending
 * @param pendingFrame the frame waiting for a receive buffer, empty when none
 */
public record VirtioNetState(VirtioPciState pci, int netStatus, byte[] pendingFrame) {
    /** The layout version of this record. */
    public static final int VERSION = 1;

    /** Copies the frame so the record stays a value. */
    public VirtioNetState {
        Objects.requireNonNull(pci, "pci");
        pendingFrame = pendingFrame.clone();
    }

    /** A copy of the pending frame. */
    @Override
    public byte[] pendingFrame() {
        return pendingFrame.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof VirtioNetState s && pci.equals(s.pci) && netStatus == s.netStatus
                && Arrays.equals(pendingFrame, s.pendingFrame);
    }

    @Override
    public int hashCode() {
        return Objects.hash(pci, netStatus, Arrays.hashCode(pendingFrame));
    }

    @Override
    public String toString() {
        return "VirtioNetState[pci=" + pci + ", netStatus=" + netStatus + ", pending=" + pendingFrame.length + "B]";
    }
}
