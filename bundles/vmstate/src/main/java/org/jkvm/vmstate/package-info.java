/**
 * The state SPI: how the engine exposes a VM to migration ({@link org.jkvm.vmstate.Migratable}), how each
 * stateful component saves and restores itself ({@link org.jkvm.vmstate.Stateful}), and the hand-written
 * big-endian section codec ({@link org.jkvm.vmstate.StateWriter}, {@link org.jkvm.vmstate.StateReader}).
 *
 * <p>This package knows nothing of KVM, transports or concrete devices.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("0.3.0")
package org.jkvm.vmstate;
