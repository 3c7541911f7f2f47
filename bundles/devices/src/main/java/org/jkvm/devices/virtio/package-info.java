/**
 * virtio 1.x over PCI, modern interface only (OASIS virtio 1.2, sections 2 and 4.1): the split virtqueue with
 * event index ({@link org.jkvm.devices.virtio.VirtQueue}), the PCI transport with its common, notify, ISR, device and
 * PCI-configuration-access capabilities ({@link org.jkvm.devices.virtio.VirtioPciTransport}) and the device contract
 * ({@link org.jkvm.devices.virtio.VirtioDevice}); state as versioned records
 * ({@link org.jkvm.devices.virtio.VirtQueueState}, {@link org.jkvm.devices.virtio.VirtioPciState}).
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("0.1.0")
package org.jkvm.devices.virtio;
