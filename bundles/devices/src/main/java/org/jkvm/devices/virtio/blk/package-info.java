/**
 * virtio-blk (virtio 1.2, section 5.2) over a {@link org.jkvm.block.BlockImage}: read, write, flush and get-id with
 * VIRTIO_BLK_F_FLUSH, SEG_MAX, BLK_SIZE and RO; requests run on an injected executor, never on the vCPU thread.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("0.1.0")
package org.jkvm.devices.virtio.blk;
