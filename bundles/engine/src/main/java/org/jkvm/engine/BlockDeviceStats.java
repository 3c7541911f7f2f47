package org.jkvm.engine;

import org.jkvm.devices.virtio.blk.BlockStats;

/**
 * One disk's I/O accounting as the monitors report it ({@code query-blockstats}, {@code info blockstats}).
 *
 * @param device the drive id ({@code -drive id=}, e.g. {@code drive-virtio-disk0} when libvirt started the VM)
 * @param qdev   the device's QOM path, as QEMU names an anonymous {@code -device}
 * @param file   the image file the guest writes (the top of a backing chain)
 * @param stats  the counters at the moment of the query
 */
public record BlockDeviceStats(String device, String qdev, String file, BlockStats.Snapshot stats) {
}
