/** JSON (RFC 8259) for QMP: the one codec both sides of the QMP boundary use. */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("0.1.0")
package org.jkvm.json;
