/**
 * XDR (RFC 4506) primitives over {@link java.nio.ByteBuffer}, as libvirt's remote protocol uses them.
 *
 * <p>Everything is big-endian and every item is padded to a multiple of 4 bytes. {@link org.jkvm.xdr.XdrReader}
 * checks every length against both the bytes left and a declared maximum before it allocates, and throws
 * {@link org.jkvm.xdr.XdrException} naming the field when the input is truncated or oversized.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("0.1.0")
package org.jkvm.xdr;
