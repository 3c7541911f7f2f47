/**
 * Disks on the command line and in the machine: QEMU's {@code -drive}, {@code -device virtio-blk-pci} and
 * {@code -snapshot} parsed into {@link org.jkvm.engine.disk.DiskOptions}, and {@link org.jkvm.engine.disk.Disks},
 * which opens the images (org.jkvm.block) and puts a virtio-blk PCI function for each on the PCI bus.
 */
package org.jkvm.engine.disk;
