/**
 * Java types, numbers and codecs for the libvirt remote protocol procedures jkvm serves.
 *
 * <p>Program {@link org.jkvm.remote.Programs#REMOTE} (0x20008086, version 1) and the keepalive program
 * (0x6b656570). Values are records ({@link org.jkvm.remote.DomainRef}, {@link org.jkvm.remote.TypedParam}, ...);
 * {@link org.jkvm.remote.RemoteCodec} encodes and decodes each wire <em>type</em> once, and
 * {@link org.jkvm.remote.LibvirtError} is the one exception type of the driver layer, carrying libvirt's error
 * code, error domain and the complete message virsh prints. Facts: {@code ../shared/reference/libvirt-rpc.md}.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("0.1.0")
package org.jkvm.remote;
