package org.jkvm.devices.virtio;

/**
 * The migratable state of one split virtqueue: what the driver configured and where the device is in the rings.
 * Requests in flight are not here: the device completes them before a save (it is quiesced), so the rings in guest
 * RAM and these indices say everything.
 *
 * @param size          the queue size the driver chose
 * @param ready         queue_enable
 * @param descGpa       descriptor table address
 * @param driverGpa     available ring address
 * @param deviceGpa     used ring address
 * @param lastAvail     the next available-ring index the device will read (a free-running u16)
 * @param usedIdx       the device's used index (u16)
 * @param signalledUsed the used index at the last interrupt decision (u16), for the event index window
 */
public record VirtQueueState(int size, boolean ready, long descGpa, long driverGpa, long deviceGpa, int lastAvail,
        int usedIdx, int signalledUsed) {
    /** The layout version of this record in a device section. */
    public static final int VERSION = 1;
}
