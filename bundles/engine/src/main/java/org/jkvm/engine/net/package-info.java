/**
 * The machine's NICs: {@code -netdev}/{@code -device virtio-net-pci} parsing, tap backends with their reader threads,
 * the virtio-net migration section, and the "I'm over here" announcement after a migration or a restore.
 */
package org.jkvm.engine.net;
