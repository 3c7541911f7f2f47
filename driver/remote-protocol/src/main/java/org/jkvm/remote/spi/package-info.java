/**
 * The driver SPI: what a hypervisor driver implements so the RPC server can serve virsh and libvirt-java.
 *
 * <p>A {@link org.jkvm.remote.spi.HypervisorDriver} says which connection URIs it accepts and opens one
 * {@link org.jkvm.remote.spi.DriverConnection} per client connection. Every domain operation throws
 * {@link org.jkvm.remote.LibvirtError} on failure; the server maps it to {@code remote_error} in one place.
 * Methods the driver does not override answer "not supported" (VIR_ERR_NO_SUPPORT), which keeps virsh's fallbacks
 * working, so the SPI grows additively.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("0.1.0")
package org.jkvm.remote.spi;
