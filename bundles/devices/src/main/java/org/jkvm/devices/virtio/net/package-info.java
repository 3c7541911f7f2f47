/**
 * virtio-net (virtio 1.2, section 5.1): the device model over the modern PCI transport, with a frame sink towards
 * its host backend (a tap) and a receive entry point the backend's reader calls.
 */
package org.jkvm.devices.virtio.net;
