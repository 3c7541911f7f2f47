package org.jkvm.engine.net;

import org.jkvm.devices.virtio.net.MacAddress;
import org.jkvm.devices.virtio.net.NetStats;
import org.jkvm.devices.virtio.net.NetTrace;

/**
 * What the monitor shows of one NIC ({@code info network}, {@code query-jkvm-nics}).
 *
 * @param id             the device id ({@code net0})
 * @param netdev         the backend's id
 * @param ifname         the tap's name on the host
 * @param bridge         the bridge the engine enslaved the tap to, empty for none
 * @param mac            the guest's MAC
 * @param slot           the PCI slot on bus 0
 * @param linkUp         the link status the guest sees
 * @param announceFrames the RARP frames sent for this NIC since the engine started
 * @param guestAnnounces the times the guest was asked to announce itself (GUEST_ANNOUNCE)
 * @param stats          the guest-side counters (live)
 * @param trace          the round-trip stage stamps ({@link NetTrace#summary} is empty unless tracing is on)
 */
public record NicInfo(String id, String netdev, String ifname, String bridge, MacAddress mac, int slot,
        boolean linkUp, long announceFrames, long guestAnnounces, NetStats stats, NetTrace trace) {
}
