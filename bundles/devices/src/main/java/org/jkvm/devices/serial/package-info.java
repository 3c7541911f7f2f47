/**
 * The 16550A UART ({@link org.jkvm.devices.serial.Serial16550}) with its versioned state record
 * ({@link org.jkvm.devices.serial.Serial16550State}); output and input are injected.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("0.1.0")
package org.jkvm.devices.serial;
