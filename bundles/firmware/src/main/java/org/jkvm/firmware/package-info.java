/**
 * The jkvm guest firmware image: a multiboot (v1) 32-bit ELF with a jkvm boot header, built from
 * {@code src/firmware} and carried as a classpath resource ({@link org.jkvm.firmware.Firmware}). Its boot
 * protocol, ports, command line and serial output are fixed by {@code docs/contracts.md} sections 1-3 and
 * described in {@code src/firmware/README.md}.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.0.0")
package org.jkvm.firmware;
