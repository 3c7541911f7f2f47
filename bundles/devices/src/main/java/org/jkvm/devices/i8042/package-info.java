/**
 * The PC's 8042 keyboard controller ({@link org.jkvm.devices.i8042.I8042}): enough for a kernel's probe and its
 * reset pulse, with its versioned state ({@link org.jkvm.devices.i8042.I8042State}).
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("0.1.0")
package org.jkvm.devices.i8042;
